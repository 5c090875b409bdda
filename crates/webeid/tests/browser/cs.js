// The test extension's content script: passes the page's request to the background and
// the answer back to the page.
window.addEventListener("message", (e) => {
  if (e.source !== window || !e.data || e.data.to !== "webeid-test-host") return;
  chrome.runtime.sendMessage(e.data.message, (reply) => {
    window.postMessage({ from: "webeid-test-host", reply }, "*");
  });
});
