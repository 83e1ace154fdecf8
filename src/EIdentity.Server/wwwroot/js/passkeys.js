// WebAuthn for EIdentity's pages. The server side is documented in docs/passkey-api.md:
// POST .../options returns { ceremonyId, options }, the browser runs the ceremony, and the
// credential's toJSON() goes back with the ceremony id.
(function () {
    "use strict";

    const config = document.getElementById("passkey-config");
    if (!config) {
        return;
    }

    const status = document.getElementById("status");
    const messages = config.dataset;

    function show(text, isError) {
        status.textContent = text;
        status.classList.toggle("error", Boolean(isError));
        status.hidden = false;
    }

    async function postJson(url, body) {
        const response = await fetch(url, {
            method: "POST",
            headers: { "Content-Type": "application/json", "Accept": "application/json" },
            credentials: "same-origin",
            body: JSON.stringify(body),
        });
        let payload = null;
        try {
            payload = await response.json();
        } catch {
            payload = null;
        }
        if (!response.ok) {
            throw new Error((payload && (payload.detail || payload.title)) || messages.msgFailed);
        }
        return payload;
    }

    const supported = typeof window.PublicKeyCredential === "function"
        && typeof PublicKeyCredential.parseCreationOptionsFromJSON === "function"
        && typeof PublicKeyCredential.parseRequestOptionsFromJSON === "function";

    function explainCancel(error) {
        // NotAllowedError: the citizen closed the dialog, or the key timed out.
        return error && error.name === "NotAllowedError" ? messages.msgCancelled : (error && error.message) || messages.msgFailed;
    }

    async function register(activationCode) {
        show(messages.msgWorking, false);
        try {
            const started = await postJson("/api/passkeys/registration/options", { activationCode: activationCode || null });
            const credential = await navigator.credentials.create({
                publicKey: PublicKeyCredential.parseCreationOptionsFromJSON(started.options),
            });
            const finished = await postJson("/api/passkeys/registration", {
                ceremonyId: started.ceremonyId,
                credential: credential.toJSON(),
            });
            window.location.assign(finished.redirect);
        } catch (error) {
            show(explainCancel(error), true);
        }
    }

    async function signIn(nationalId) {
        show(messages.msgWorking, false);
        try {
            const started = await postJson("/api/passkeys/assertion/options", { nationalId: nationalId || null });
            const credential = await navigator.credentials.get({
                publicKey: PublicKeyCredential.parseRequestOptionsFromJSON(started.options),
            });
            const finished = await postJson("/api/passkeys/assertion", {
                ceremonyId: started.ceremonyId,
                credential: credential.toJSON(),
                returnUrl: messages.returnUrl || "/",
            });
            window.location.assign(finished.redirect);
        } catch (error) {
            show(explainCancel(error), true);
        }
    }

    if (!supported) {
        document.getElementById("passkey-unsupported").hidden = false;
        document.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
        return;
    }

    if (messages.mode === "sign-in") {
        document.getElementById("sign-in-discoverable").addEventListener("click", function () { signIn(null); });
        document.getElementById("identifier-form").addEventListener("submit", function (event) {
            event.preventDefault();
            const value = document.getElementById("national-id").value.trim();
            if (!/^[0-9]{12}$/.test(value)) {
                show(messages.msgNationalid, true);
                return;
            }
            signIn(value);
        });
    } else if (messages.mode === "activate") {
        // The code travels in the URL fragment, which never reaches a server log; drop it from history.
        const code = window.location.hash.replace(/^#/, "");
        if (code) {
            history.replaceState(null, "", window.location.pathname);
        }
        const button = document.getElementById("enrol");
        if (!code) {
            document.getElementById("missing-code").hidden = false;
            button.disabled = true;
        }
        button.addEventListener("click", function () { register(code); });
    } else if (messages.mode === "add") {
        document.getElementById("add-key").addEventListener("click", function () { register(null); });
    }
})();
