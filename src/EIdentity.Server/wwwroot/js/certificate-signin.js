// Signed-challenge certificate sign-in (docs/certificate-sign-in.md). A USB-token signing plugin
// exposes window.EIdentitySigner.sign({ toBeSigned, origin, nonce }), resolving to
// { signature, certificate }: a base64 CMS detached signature over the UTF-8 string toBeSigned,
// and the signer's certificate (base64 DER). Without a plugin this section stays hidden.
(function () {
    "use strict";
    const section = document.getElementById("signer-section");
    const button = document.getElementById("sign-in-signer");
    const config = document.getElementById("passkey-config");
    const status = document.getElementById("status");
    if (!section || !button || !config) {
        return;
    }

    function signer() {
        return window.EIdentitySigner && typeof window.EIdentitySigner.sign === "function" ? window.EIdentitySigner : null;
    }

    function show(message, isError) {
        status.hidden = false;
        status.textContent = message;
        status.classList.toggle("error", Boolean(isError));
    }

    async function post(url, body) {
        const response = await fetch(url, {
            method: "POST",
            headers: { "Content-Type": "application/json" },
            credentials: "same-origin",
            body: JSON.stringify(body),
        });
        const json = await response.json().catch(() => ({}));
        if (!response.ok) {
            throw new Error(json.detail || response.statusText);
        }
        return json;
    }

    async function signIn() {
        const plugin = signer();
        if (!plugin) {
            return;
        }
        button.disabled = true;
        show(config.dataset.msgSigning, false);
        try {
            const challenge = await post("/api/certificates/challenge", {});
            const signed = await plugin.sign({ toBeSigned: challenge.toBeSigned, origin: challenge.origin, nonce: challenge.nonce });
            const done = await post("/api/certificates/challenge/response", {
                challengeId: challenge.challengeId,
                signature: signed.signature,
                certificate: signed.certificate,
                returnUrl: config.dataset.returnUrl,
            });
            window.location.assign(done.redirect);
        } catch (error) {
            show(error && error.message ? error.message : config.dataset.msgFailed, true);
            button.disabled = false;
        }
    }

    function reveal() {
        if (signer()) {
            section.hidden = false;
        }
    }

    button.addEventListener("click", signIn);
    reveal();
    // Plugins that inject themselves after load announce it with this event.
    window.addEventListener("eidentity-signer-ready", reveal);
})();
