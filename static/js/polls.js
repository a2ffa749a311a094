/* Polite polling. A part that refreshes itself (`data-polls`, with an htmx trigger such as
   "every 20s, visibilitychange from:document") asks nothing while its tab is hidden, and asks
   at once when the tab shows again (the visibilitychange in its trigger). A page left open in
   a background tab all day costs the server nothing. A file, not an inline script: htmx may
   not eval trigger filters under the Content-Security-Policy. */
document.addEventListener("htmx:beforeRequest", function (event) {
  if (document.hidden && event.detail.elt.hasAttribute("data-polls")) event.preventDefault();
});
