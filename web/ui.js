// Small DOM helpers shared by the screens.

import { ApiError, signIn } from "./api.js";

const view = document.getElementById("view");

export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (key === "class") node.className = value;
    else if (key.startsWith("on")) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? "" : value);
  }
  node.append(...children);
  return node;
}

export function field(label, input) {
  const id = `f-${input.name}`;
  input.id = id;
  return el("div", { class: "field" }, el("label", { for: id }, label), input);
}

export function show(title, ...content) {
  document.title = `${title} · Doorstep`;
  view.replaceChildren(el("h2", {}, title), ...content);
  view.focus();
}

export function errorBox() {
  return el("p", { class: "error", role: "alert", hidden: true });
}

export function fail(box, error) {
  box.textContent = error instanceof ApiError ? error.message : "No connection: try again.";
  box.hidden = false;
}

// E-mail, password and (for people in several campaigns) the campaign; `done()` once in.
export function signInForm(done) {
  const box = errorBox();
  const email = el("input", { name: "email", type: "email", autocomplete: "username", required: true });
  const password = el("input", {
    name: "password",
    type: "password",
    autocomplete: "current-password",
    required: true,
  });
  const campaign = el("input", { name: "campaign", autocomplete: "organization" });
  return el(
    "form",
    {
      class: "card",
      onsubmit: async (event) => {
        event.preventDefault();
        try {
          await signIn(email.value.trim(), password.value, campaign.value.trim());
          done();
        } catch (error) {
          fail(box, error);
        }
      },
    },
    field("E-mail", email),
    field("Password", password),
    field("Campaign (if you have several)", campaign),
    box,
    el("button", { type: "submit" }, "Sign in"),
  );
}
