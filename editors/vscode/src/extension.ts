// Starts `asynclint server` for Rust files and passes it the extension's settings.
import * as vscode from "vscode";
import {
  LanguageClient,
  LanguageClientOptions,
  ServerOptions,
} from "vscode-languageclient/node";

let client: LanguageClient | undefined;

/// The server's settings, from the `asynclint.*` configuration.
function settings(): Record<string, unknown> {
  const c = vscode.workspace.getConfiguration("asynclint");
  return {
    select: c.get<string[]>("select", []),
    extendSelect: c.get<string[]>("extendSelect", []),
    ignore: c.get<string[]>("ignore", []),
    debounceMs: c.get<number>("debounceMs", 150),
    cache: c.get<boolean>("cache", true),
  };
}

async function start(context: vscode.ExtensionContext): Promise<void> {
  const command = vscode.workspace
    .getConfiguration("asynclint")
    .get<string>("path", "asynclint");
  const serverOptions: ServerOptions = {
    run: { command, args: ["server"] },
    debug: { command, args: ["server"] },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [{ scheme: "file", language: "rust" }],
    initializationOptions: settings(),
    // Sends `workspace/didChangeConfiguration` with `{"asynclint": {...}}`.
    synchronize: { configurationSection: "asynclint" },
  };
  client = new LanguageClient(
    "asynclint",
    "asynclint",
    serverOptions,
    clientOptions,
  );
  try {
    await client.start();
  } catch (e) {
    client = undefined;
    const message =
      `asynclint: cannot start \`${command} server\` (${e}). ` +
      "Install asynclint (`cargo install --path .` in its repository) " +
      "or set `asynclint.path`.";
    void vscode.window.showErrorMessage(message);
  }
  context.subscriptions.push({ dispose: () => void client?.stop() });
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  context.subscriptions.push(
    vscode.commands.registerCommand("asynclint.restart", async () => {
      await client?.stop();
      await start(context);
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (e.affectsConfiguration("asynclint.path")) {
        await client?.stop();
        await start(context);
      }
    }),
  );
  await start(context);
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}
