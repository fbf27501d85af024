// Walking a list: its doors in route order, and a door's results, saved to the outbox at once.

import { walkList } from "./api.js";
import { addKnocks, knockedDoors, outbox, savedList, saveList } from "./store.js";
import { drain, onChange } from "./sync.js";
import { el, errorBox, show } from "./ui.js";

const DOOR_RESULTS = [
  ["not_home", "Not home"],
  ["inaccessible", "Inaccessible"],
  ["come_back", "Come back"],
];
const PERSON_RESULTS = [
  ["canvassed", "Talked"],
  ["refused", "Refused"],
  ["not_home", "Not home"],
  ["language_barrier", "Language barrier"],
  ["hostile", "Hostile"],
  ["moved", "Moved"],
  ["deceased", "Deceased"],
  ["do_not_contact", "Do not contact"],
];

// --- the banner: results waiting to sync ------------------------------------------------------

const banner = document.getElementById("sync-banner");

export async function refreshBanner(state) {
  const items = await outbox();
  const waitingCount = items.filter((i) => i.state === "waiting").length;
  const rejected = items.length - waitingCount;
  const parts = [];
  if (waitingCount) parts.push(`${waitingCount} result${waitingCount === 1 ? "" : "s"} waiting to sync`);
  if (rejected) parts.push(`${rejected} refused by the server`);
  if (state === "signed-out" && waitingCount) parts.push("sign in again to send them");
  banner.textContent = parts.join(" · ");
  banner.hidden = !parts.length;
}

onChange(refreshBanner);

// --- the list ---------------------------------------------------------------------------------

async function loadList(id) {
  const saved = await savedList(id);
  try {
    const fresh = await walkList(id, saved?.etag);
    if (!fresh) return saved.payload;
    await saveList(id, fresh.etag, fresh.data);
    return fresh.data;
  } catch (error) {
    if (saved && !(error.status === 401 || error.status === 403 || error.status === 404)) {
      return saved.payload; // offline: the phone's copy
    }
    throw error;
  }
}

function skippedKey(id) {
  return `doorstep.skipped.${id}`;
}

function skipped(id) {
  return JSON.parse(localStorage.getItem(skippedKey(id)) || "[]");
}

function skip(id, householdId) {
  const order = skipped(id).filter((h) => h !== householdId);
  order.push(householdId);
  localStorage.setItem(skippedKey(id), JSON.stringify(order));
}

function inWalkingOrder(stops, listId) {
  const later = skipped(listId);
  const rank = (stop) => {
    const at = later.indexOf(stop.household_id);
    return at < 0 ? stop.seq : 1e9 + at;
  };
  return [...stops].sort((a, b) => rank(a) - rank(b));
}

export async function listScreen(listId, go) {
  show("Your list", el("p", { role: "status" }, "Loading…"));
  const payload = await loadList(listId);
  const done = await knockedDoors(listId);
  const stops = inWalkingOrder(payload.stops, listId);
  const next = stops.find((s) => !done.has(s.household_id));
  const rows = stops.map((stop) => {
    const isDone = done.has(stop.household_id);
    const isNext = stop === next;
    const names = stop.people.map((p) => `${p.first_name} ${p.last_name}`).join(", ");
    const open = el(
      "a",
      { class: "door", href: `/app/lists/${listId}/doors/${stop.household_id}`,
        onclick: (event) => {
          event.preventDefault();
          go(`/app/lists/${listId}/doors/${stop.household_id}`);
        } },
      el("span", { class: "address" }, stop.address + (stop.unit ? `, ${stop.unit}` : "")),
      el("span", { class: "who" }, names || "No one listed"),
    );
    const item = el(
      "li",
      { class: `stop${isDone ? " done" : ""}${isNext ? " next" : ""}`, "aria-current": isNext && "step" },
      open,
    );
    if (isDone) item.append(el("span", { class: "badge" }, "Done"));
    if (isNext) {
      item.append(
        el("button", { type: "button", class: "secondary", onclick: () => {
          skip(listId, stop.household_id);
          listScreen(listId, go);
        } }, "Skip"),
      );
    }
    return item;
  });
  const doneCount = stops.filter((s) => done.has(s.household_id)).length;
  show(
    payload.name,
    el("p", { class: "progress" }, `${doneCount} of ${stops.length} doors done`),
    el("ol", { class: "stops" }, ...rows),
  );
  await refreshBanner();
}

// --- a door -----------------------------------------------------------------------------------

function choiceButtons(choices, pick, multiple = false) {
  // big toggle buttons; `pick(values)` receives the chosen values
  const chosen = new Set();
  const buttons = choices.map(([value, label]) =>
    el("button", { type: "button", class: "choice", "aria-pressed": "false", onclick: (event) => {
      if (!multiple) {
        chosen.clear();
        for (const b of buttons) b.setAttribute("aria-pressed", "false");
      }
      if (chosen.has(value)) chosen.delete(value);
      else chosen.add(value);
      event.currentTarget.setAttribute("aria-pressed", String(chosen.has(value)));
      pick([...chosen]);
    } }, label),
  );
  return el("div", { class: "choices" }, ...buttons);
}

function questionBlock(question, answers) {
  const id = `q-${question.id}-${Math.random().toString(36).slice(2, 8)}`;
  const label = el("p", { class: "prompt", id }, `${question.number}. ${question.prompt}`);
  let input;
  if (question.kind === "single_choice" || question.kind === "multiple_choice") {
    input = choiceButtons(
      question.options.map((o) => [o.id, o.label]),
      (ids) => answers.set(question.id, ids.length ? { question_id: question.id, option_ids: ids } : null),
      question.kind === "multiple_choice",
    );
    input.setAttribute("role", "group");
    input.setAttribute("aria-labelledby", id);
  } else {
    input = el("input", { "aria-labelledby": id, type: question.kind === "number" ? "number" : "text",
      inputmode: question.kind === "number" ? "decimal" : false });
    input.addEventListener("input", () => {
      const raw = input.value.trim();
      if (!raw) answers.set(question.id, null);
      else if (question.kind === "number") answers.set(question.id, { question_id: question.id, number: Number(raw) });
      else answers.set(question.id, { question_id: question.id, text: raw });
    });
  }
  return el("div", { class: "question" }, label, input);
}

function personBlock(person, survey, state) {
  const questions = el("div", { class: "questions", hidden: true },
    ...survey.questions.map((q) => questionBlock(q, state.answers)));
  const noteId = `note-${person.id}`;
  const note = el("textarea", { id: noteId, rows: "2" });
  note.addEventListener("input", () => (state.note = note.value.trim()));
  const facts = [person.age && `${person.age}`, person.party].filter(Boolean).join(" · ");
  const heading = `${person.first_name} ${person.last_name}`;
  const results = choiceButtons(PERSON_RESULTS, ([result]) => {
    state.result = result || null;
    questions.hidden = state.result !== "canvassed";
  });
  results.setAttribute("role", "group");
  results.setAttribute("aria-label", `Result for ${heading}`);
  return el("section", { class: "card person" },
    el("h3", {}, heading, facts ? el("span", { class: "facts" }, ` ${facts}`) : ""),
    results, questions, el("label", { for: noteId, class: "prompt" }, "Note"), note);
}

function knock(listId, householdId, personId, result, responses = [], note = "") {
  return {
    client_id: crypto.randomUUID(),
    walk_list_id: listId,
    household_id: householdId,
    person_id: personId,
    result,
    responses,
    ...(note ? { note } : {}),
    knocked_at: new Date().toISOString(),
  };
}

export async function doorScreen(listId, householdId, go) {
  const payload = await loadList(listId);
  const stop = payload.stops.find((s) => s.household_id === householdId);
  if (!stop) return go(`/app/lists/${listId}`);
  const back = () => go(`/app/lists/${listId}`);
  const save = async (items) => {
    await addKnocks(items);
    drain(); // in the background: the volunteer goes on at once
    back();
  };
  const doorWide = el("div", { class: "choices door-results", role: "group", "aria-label": "Whole door" },
    ...DOOR_RESULTS.map(([result, label]) =>
      el("button", { type: "button", class: "choice", onclick: () =>
        save([knock(listId, householdId, null, result)]) }, label)));
  const states = stop.people.map(() => ({ result: null, answers: new Map(), note: "" }));
  const box = errorBox();
  const saveButton = el("button", { type: "button", class: "primary", onclick: () => {
    const items = stop.people.flatMap((person, i) => {
      const state = states[i];
      if (!state.result) return [];
      const responses = state.result === "canvassed" ? [...state.answers.values()].filter(Boolean) : [];
      return [knock(listId, householdId, person.id, state.result, responses, state.note)];
    });
    if (!items.length) {
      box.textContent = "Pick a result for someone, or one for the whole door.";
      box.hidden = false;
      return;
    }
    save(items);
  } }, "Save and next door");
  show(
    stop.address + (stop.unit ? `, ${stop.unit}` : ""),
    el("h3", {}, "The whole door"),
    doorWide,
    ...stop.people.map((person, i) => personBlock(person, payload.survey, states[i])),
    box,
    saveButton,
    el("button", { type: "button", class: "secondary", onclick: back }, "Back to the list"),
  );
}

export { drain, onChange };
