// The volunteer's app: sign in (account or list code), then the lists to walk.
// Plain ES modules, no build step; every screen is drawn into <main id="view">.

import { ApiError, forget, myLists, signOut, token, useListCode } from "./api.js";
import { doorScreen, drain, listScreen, onChange, refreshBanner } from "./canvass.js";
import { el, errorBox, fail, field, show, signInForm } from "./ui.js";

const signOutButton = document.getElementById("sign-out");

function codeForm(code = "") {
  const box = errorBox();
  const codeInput = el("input", { name: "code", autocomplete: "off", required: "", value: code });
  codeInput.setAttribute("autocapitalize", "characters");
  const nameInput = el("input", { name: "name", autocomplete: "name", required: "" });
  const form = el(
    "form",
    {
      class: "card",
      onsubmit: async (event) => {
        event.preventDefault();
        try {
          await useListCode(codeInput.value.trim(), nameInput.value.trim());
          drain();
          go("/app/");
        } catch (error) {
          fail(box, error);
        }
      },
    },
    code ? el("p", {}, "Your list is ready. Tell us who is knocking:") : field("List code", codeInput),
    field("Your name", nameInput),
    box,
    el("button", { type: "submit" }, "Start"),
  );
  if (code) {
    codeInput.type = "hidden";
    form.prepend(codeInput);
  }
  return form;
}

function entryScreen(notice) {
  signOutButton.hidden = true;
  show(
    "Start canvassing",
    ...(notice ? [el("p", { class: "notice", role: "status" }, notice)] : []),
    el("h3", {}, "With a list code"),
    codeForm(),
    el("h3", {}, "With an account"),
    signInForm(() => {
      drain();
      go("/app/");
    }),
  );
}

function codeScreen(code) {
  signOutButton.hidden = true;
  show("Your walk list", codeForm(code));
}

function listCard(list) {
  const parts = [`${list.door_count} doors`];
  if (list.route) {
    parts.push(`${(list.route.distance_m / 1000).toFixed(1)} km`);
    parts.push(`about ${Math.round(list.route.minutes)} min`);
  }
  const href = `/app/lists/${list.id}`;
  return el(
    "li",
    { class: "card list" },
    el("h3", {}, el("a", { href, onclick: (event) => {
      event.preventDefault();
      go(href);
    } }, list.name)),
    el("p", { class: "number" }, `List ${list.number}`),
    el("p", {}, parts.join(" · ")),
  );
}

async function listsScreen() {
  signOutButton.hidden = false;
  show("My lists", el("p", { role: "status" }, "Loading…"));
  const page = await myLists();
  const items = page.results.map(listCard);
  show(
    "My lists",
    items.length ? el("ul", { class: "lists" }, ...items) : el("p", {}, "No lists yet."),
  );
}

async function route() {
  const path = location.pathname;
  const code = path.match(/^\/app\/go\/([^/]+)\/?$/);
  if (code) return codeScreen(decodeURIComponent(code[1]));
  if (!token()) return entryScreen();
  const door = path.match(/^\/app\/lists\/(\d+)\/doors\/(\d+)\/?$/);
  const list = path.match(/^\/app\/lists\/(\d+)\/?$/);
  // Every screen that reads the API: an ended session asks the volunteer in again
  try {
    if (door) return await doorScreen(Number(door[1]), Number(door[2]), go);
    if (list) return await listScreen(Number(list[1]), go);
    return await listsScreen();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      forget();
      return entryScreen("Your session has ended: sign in again or enter your list code.");
    }
    return show("Doorstep", el("p", { class: "error", role: "alert" }, "No connection: try again."));
  }
}

function go(path) {
  history.pushState({}, "", path);
  route();
}

signOutButton.addEventListener("click", async () => {
  await signOut();
  go("/app/");
});
window.addEventListener("popstate", route);
if ("serviceWorker" in navigator) navigator.serviceWorker.register("/app/sw.js", { scope: "/app/" });
route();
refreshBanner();
// A token that has ended (expired, revoked, signed out elsewhere) while results wait: the
// outbox stays, and the volunteer is asked to come back in; the outbox drains after.
onChange((state) => {
  if (state !== "signed-out" || !token()) return;
  forget();
  entryScreen("Your list code or session has ended. Your results are kept on this phone: enter a new code or sign in to send them.");
});
if (token()) drain();
