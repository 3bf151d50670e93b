/* Kapstone passkeys: the browser's half of WebAuthn, for two forms.
 *
 * - #passkey-add (the security page): asks the server for registration options, lets the device
 *   create a passkey (navigator.credentials.create), posts the answer with the name and password typed.
 * - #passkey-sign-in (the second sign-in step): asks for authentication options, lets the device
 *   sign the challenge (navigator.credentials.get), posts the answer.
 *
 * Each form carries its options URL in data-options-url and posts to its action with the CSRF token
 * of its own hidden field. The server answers {"redirect": url} (followed) or {"error": reason}
 * (shown in the form's status line). No inline script (CSP): loaded with <script src defer>.
 */
(function () {
  "use strict";

  function toBytes(text) {
    var base64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) base64 += "=";
    var raw = atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes.buffer;
  }

  function toText(buffer) {
    if (!buffer) return null;
    var bytes = new Uint8Array(buffer);
    var raw = "";
    for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function descriptors(list) {
    return (list || []).map(function (item) {
      return { type: item.type, id: toBytes(item.id), transports: item.transports };
    });
  }

  function creationOptions(json) {
    json.challenge = toBytes(json.challenge);
    json.user.id = toBytes(json.user.id);
    json.excludeCredentials = descriptors(json.excludeCredentials);
    return json;
  }

  function requestOptions(json) {
    json.challenge = toBytes(json.challenge);
    json.allowCredentials = descriptors(json.allowCredentials);
    return json;
  }

  function credentialJson(credential) {
    var response = credential.response;
    var out = {
      id: credential.id,
      rawId: toText(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || null,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: { clientDataJSON: toText(response.clientDataJSON) }
    };
    if (response.attestationObject) {
      out.response.attestationObject = toText(response.attestationObject);
      out.response.transports = response.getTransports ? response.getTransports() : [];
    } else {
      out.response.authenticatorData = toText(response.authenticatorData);
      out.response.signature = toText(response.signature);
      out.response.userHandle = toText(response.userHandle);
    }
    return JSON.stringify(out);
  }

  function post(form, url, extra) {
    var body = new FormData();
    body.append("csrfmiddlewaretoken", form.querySelector("input[name=csrfmiddlewaretoken]").value);
    Object.keys(extra).forEach(function (key) { body.append(key, extra[key]); });
    return fetch(url, { method: "POST", body: body, credentials: "same-origin",
                        headers: { "Accept": "application/json" } });
  }

  function answer(response) {
    return response.json().then(function (data) {
      if (data.redirect) { window.location.assign(data.redirect); return; }
      throw new Error(data.error || "That did not work. Try again.");
    });
  }

  function wire(form, ceremony) {
    if (!form) return;
    var status = form.querySelector(".passkey-status");
    var button = form.querySelector("button[type=submit]");
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!window.PublicKeyCredential) {
        status.textContent = "This browser cannot use passkeys.";
        return;
      }
      button.disabled = true;
      status.textContent = "Follow your device's prompt…";
      ceremony(form)
        .then(answer)
        .catch(function (error) {
          status.textContent = error && error.name === "NotAllowedError"
            ? "The passkey prompt was closed or timed out. Try again."
            : (error && error.message) || "That did not work. Try again.";
          button.disabled = false;
        });
    });
  }

  wire(document.getElementById("passkey-add"), function (form) {
    var name = form.querySelector("input[name=name]").value;
    var password = form.querySelector("input[name=password]").value;
    return post(form, form.getAttribute("data-options-url"), {})
      .then(function (response) { return response.json(); })
      .then(function (json) { return navigator.credentials.create({ publicKey: creationOptions(json) }); })
      .then(function (credential) {
        return post(form, form.action, { name: name, password: password, credential: credentialJson(credential) });
      });
  });

  wire(document.getElementById("passkey-sign-in"), function (form) {
    return post(form, form.getAttribute("data-options-url"), {})
      .then(function (response) {
        if (!response.ok) return response;  // signed out meanwhile: its error or redirect
        return response.json().then(function (json) {
          return navigator.credentials.get({ publicKey: requestOptions(json) });
        }).then(function (credential) {
          return post(form, form.action, { credential: credentialJson(credential) });
        });
      });
  });
})();
