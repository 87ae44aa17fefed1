/* The ipywidgets widget manager (@jupyter-widgets/controls, every release up to html-manager 1.0.15)
 * typesets widget labels with MathJax 2's API: MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]).
 * Sphinx 7 loads MathJax 3, which has no Hub, so each label threw "reading 'Queue'" and the widget
 * stopped rendering. This gives MathJax 3 that one call, answered with MathJax 3's typesetPromise.
 * MathJax 3 replaces window.MathJax with its own object when it starts, so the accessor below
 * attaches Hub to whichever object window.MathJax holds. */
(function () {
  var hub = {
    Queue: function (job) {
      var element = Array.isArray(job) ? job[2] : null;
      var mathjax = window.MathJax;
      if (!element || !mathjax || !mathjax.startup || !mathjax.startup.promise) { return; }
      mathjax.startup.promise.then(function () { return mathjax.typesetPromise([element]); });
    }
  };
  function attach(value) {
    if (value && typeof value === "object" && !("Hub" in value)) {
      Object.defineProperty(value, "Hub", { value: hub, enumerable: false, configurable: true });
    }
    return value;
  }
  var current = attach(window.MathJax);
  Object.defineProperty(window, "MathJax", {
    configurable: true,
    get: function () { return current; },
    set: function (value) { current = attach(value); }
  });
})();
