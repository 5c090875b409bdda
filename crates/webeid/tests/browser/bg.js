// The test extension's background: one native-messaging port per request to the host
// eu.webeid, the page's origin added (as the Web eID extension does), the handshake and the
// reply handed back.
chrome.runtime.onMessage.addListener((msg, sender, sendResponse) => {
  const replies = [];
  let done = false;
  const finish = (v) => { if (!done) { done = true; sendResponse(v); } };
  const port = chrome.runtime.connectNative("eu.webeid");
  port.onMessage.addListener((m) => {
    replies.push(m);
    if (replies.length === 2) { finish({ replies }); port.disconnect(); }
  });
  port.onDisconnect.addListener(() => {
    finish({ replies, error: chrome.runtime.lastError ? chrome.runtime.lastError.message : "disconnected" });
  });
  const args = Object.assign({}, msg.arguments, { origin: new URL(sender.url).origin });
  port.postMessage({ command: msg.command, arguments: args });
  return true;
});
