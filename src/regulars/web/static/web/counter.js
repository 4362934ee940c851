/* The counter's keyboard: ↑/↓ move through the results, Enter opens the chosen
   customer, Esc goes back to the search box. Without this file (or without
   JavaScript) the results are plain links and the page still works. */
(function () {
  "use strict";

  function options() {
    return Array.prototype.slice.call(
      document.querySelectorAll("#counter-results [role=option]")
    );
  }

  function select(input, index) {
    var all = options();
    if (!all.length) {
      input.removeAttribute("aria-activedescendant");
      return;
    }
    index = Math.max(0, Math.min(index, all.length - 1));
    all.forEach(function (option, i) {
      option.setAttribute("aria-selected", i === index ? "true" : "false");
    });
    input.setAttribute("aria-activedescendant", all[index].id);
    all[index].scrollIntoView({ block: "nearest" });
  }

  function current() {
    var all = options();
    for (var i = 0; i < all.length; i++) {
      if (all[i].getAttribute("aria-selected") === "true") return i;
    }
    return -1;
  }

  function open(option) {
    var link = option && option.querySelector("a");
    if (link) link.click();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var input = document.getElementById("counter-q");
    if (!input) return;

    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        select(input, current() + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter") {
        var all = options();
        if (all.length) {
          event.preventDefault();
          open(all[Math.max(0, current())]);
        }
      }
    });

    document.addEventListener("keydown", function (event) {
      if (event.key === "Escape") {
        input.focus();
        input.select();
      }
    });

    document.body.addEventListener("htmx:afterSwap", function (event) {
      var target = event.detail.target;
      if (target.id === "counter-results") {
        var found = options().length > 0;
        input.setAttribute("aria-expanded", found ? "true" : "false");
        select(input, 0);
      } else if (target.id === "counter-card") {
        if (target.querySelector("[data-testid=counter-notice]")) {
          // The visit is logged: ready for the next customer.
          input.focus();
          input.select();
        } else {
          var first = target.querySelector("input:not([type=hidden]), button[type=submit]");
          var button = target.querySelector("[data-testid=counter-log-visit]");
          (button || first || target).focus();
        }
      }
    });
  });
})();
