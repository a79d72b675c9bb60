// Filters the rule lists as the reader types: a rule stays when every word of the
// query occurs in its name, group, theme or summary.
(function () {
  var box = document.getElementById("search");
  var count = document.getElementById("count");
  var rules = Array.prototype.slice.call(document.querySelectorAll("li.rule"));
  var sections = Array.prototype.slice.call(document.querySelectorAll("section.list"));
  function filter() {
    var words = box.value.toLowerCase().split(/\s+/).filter(Boolean);
    var shown = {};
    rules.forEach(function (li) {
      var text = li.getAttribute("data-search");
      var match = words.every(function (w) { return text.indexOf(w) !== -1; });
      li.hidden = !match;
      if (match) { shown[li.getAttribute("data-name")] = true; }
    });
    sections.forEach(function (s) {
      s.hidden = s.querySelectorAll("li.rule:not([hidden])").length === 0;
    });
    var n = Object.keys(shown).length;
    count.textContent = words.length === 0 ? "" :
      n === 0 ? "No rule matches." : n === 1 ? "1 rule matches." : n + " rules match.";
  }
  box.addEventListener("input", filter);
  filter();
})();
