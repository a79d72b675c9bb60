fn main() {
    std::process::exit(asynclint::cli::run());
}
