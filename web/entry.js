// The data-entry screen: a printed walk sheet typed back in, line by line, keyboard only.
// Codes are checked against the survey as they are typed; the lines go to paper_entries and
// each shows its outcome, to correct and send again.

import { ApiError, findList, paperEntries, signOut, token, walkList } from "./api.js";
import { el, errorBox, fail, field, show, signInForm } from "./ui.js";

// The result codes printed on the sheet (app/models/contact.py RESULT_CODES).
const RESULTS = {
  C: "canvassed", NH: "not home", R: "refused", M: "moved", D: "deceased", I: "inaccessible",
  LB: "language barrier", H: "hostile", CB: "come back", WA: "wrong address", DNC: "do not contact",
};
const signOutButton = document.getElementById("sign-out");

function signInScreen(notice) {
  signOutButton.hidden = true;
  show(
    "Sign in",
    ...(notice ? [el("p", { class: "notice", role: "status" }, notice)] : []),
    signInForm(openScreen),
  );
}

function openScreen() {
  signOutButton.hidden = false;
  const box = errorBox();
  const number = el("input", { name: "number", required: true, placeholder: "0001-0003",
    pattern: "[0-9]{1,9}-[0-9]{1,9}", autocomplete: "off" });
  show("Open a sheet", el("form", { class: "card", onsubmit: async (event) => {
    event.preventDefault();
    try {
      const found = await findList(number.value.trim());
      if (!found) {
        box.textContent = `No list ${number.value.trim()}: check the number printed on the sheet.`;
        box.hidden = false;
        return;
      }
      await sheetScreen(found.id);
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) return signInScreen("Sign in again.");
      fail(box, error);
    }
  } }, field("List number (top of the sheet)", number), box, el("button", { type: "submit" }, "Open")));
}

// What a typed code means, or why it is wrong ("" when the cell is empty).
function checkCell(kind, options, raw) {
  const value = raw.trim();
  if (!value) return { ok: true, value: null };
  if (kind === "result") {
    const code = value.toUpperCase();
    return code in RESULTS ? { ok: true, value: code } : { ok: false, why: `${value}: not a result code` };
  }
  if (kind === "number") {
    const n = Number(value);
    return Number.isFinite(n) ? { ok: true, value: n } : { ok: false, why: `${value}: not a number` };
  }
  if (kind === "text") return { ok: true, value };
  const codes = value.toUpperCase().split(/[\s,]+/).filter(Boolean);
  const bad = codes.filter((c) => !options.includes(c));
  if (bad.length) return { ok: false, why: `${bad.join(" ")}: not an answer code (${options.join(", ")})` };
  if (kind === "single_choice" && codes.length > 1) return { ok: false, why: "one code only" };
  return { ok: true, value: kind === "multiple_choice" ? codes : codes[0] };
}

async function sheetScreen(listId) {
  const payload = (await walkList(listId, "")).data;
  const questions = payload.survey.questions;
  const people = payload.stops.flatMap((stop) =>
    stop.people.map((p) => ({ ...p, address: stop.address + (stop.unit ? `, ${stop.unit}` : "") })));
  people.sort((a, b) => a.line - b.line);
  const columns = [
    { key: "result", kind: "result", options: [], label: "Result" },
    ...questions.map((q) => ({ key: String(q.number), kind: q.kind, label: `Q${q.number}`,
      options: q.options.map((o) => o.code.toUpperCase()), title: q.prompt })),
  ];
  const entered = new Set();
  const progress = el("p", { class: "progress", role: "status" });
  const countEntered = () => (progress.textContent = `${entered.size} of ${people.length} lines entered`);
  const rows = people.map((person) => {
    const status = el("td", { class: "status" });
    const cells = columns.map((column) => {
      const input = el("input", { "aria-label": `Line ${person.line} ${column.label}`, class: "cell",
        autocomplete: "off", "data-kind": column.kind });
      input.addEventListener("input", () => {
        const checked = checkCell(column.kind, column.options, input.value);
        input.setAttribute("aria-invalid", String(!checked.ok));
        input.title = checked.ok ? "" : checked.why;
      });
      return { column, input };
    });
    const tr = el("tr", {}, el("td", {}, String(person.line)),
      el("td", {}, `${person.first_name} ${person.last_name}`), el("td", {}, person.address),
      ...cells.map(({ input }) => el("td", {}, input)), status);
    return { person, cells, status, tr };
  });
  const replace = el("input", { type: "checkbox", id: "replace" });
  const box = errorBox();
  const send = async () => {
    const entries = [];
    const sentRows = [];
    box.hidden = true;
    for (const row of rows) {
      const values = row.cells.map(({ column, input }) => ({ column, ...checkCell(column.kind, column.options, input.value) }));
      const result = values[0];
      if (result.ok && result.value === null) continue; // a line not typed
      const wrong = values.find((v) => !v.ok);
      if (wrong) {
        row.status.textContent = `Not sent: ${wrong.why}`;
        row.tr.className = "rejected";
        continue;
      }
      const answers = {};
      for (const v of values.slice(1)) if (v.value !== null) answers[v.column.key] = v.value;
      const entry = { line: row.person.line, result: result.value, answers };
      if (JSON.stringify(entry) === row.accepted) continue; // sent already, unchanged
      entries.push(entry);
      sentRows.push(row);
    }
    if (!entries.length) {
      box.textContent = "No new or changed line to send.";
      box.hidden = false;
      return;
    }
    try {
      const answer = await paperEntries(listId, entries, replace.checked);
      answer.results.forEach((outcome, i) => {
        const row = sentRows[i];
        const why = (outcome.errors || []).map((e) => e.message).join("; ");
        row.status.textContent = outcome.status === "rejected" ? `Rejected: ${why}` : outcome.status;
        row.tr.className = outcome.status === "rejected" ? "rejected" : "sent";
        if (outcome.status !== "rejected") {
          entered.add(row.person.line);
          row.accepted = JSON.stringify(entries[i]);
        }
      });
      countEntered();
    } catch (error) {
      fail(box, error);
    }
  };
  const table = el("table", { class: "sheet" },
    el("thead", {}, el("tr", {}, el("th", {}, "Line"), el("th", {}, "Name"), el("th", {}, "Address"),
      ...columns.map((c) => el("th", { title: c.title || "Result code" }, c.label)), el("th", {}, "Status"))),
    el("tbody", {}, ...rows.map((r) => r.tr)));
  // Enter moves on to the next cell, as Tab does
  table.addEventListener("keydown", (event) => {
    if (event.key !== "Enter" || !(event.target instanceof HTMLInputElement)) return;
    event.preventDefault();
    const inputs = [...table.querySelectorAll("input")];
    inputs[inputs.indexOf(event.target) + 1]?.focus();
  });
  countEntered();
  show(`List ${payload.number}: ${payload.name}`, progress,
    el("p", { class: "legend" }, "Result codes: " + Object.entries(RESULTS).map(([c, m]) => `${c} ${m}`).join(", ")),
    el("div", { class: "scroll" }, table), box,
    el("div", { class: "actions" },
      el("label", { for: "replace", class: "toggle" }, replace, " Replace lines already entered (a correction)"),
      el("button", { type: "button", onclick: send }, "Send the lines"),
      el("button", { type: "button", class: "secondary", onclick: openScreen }, "Another sheet")));
  rows[0]?.cells[0].input.focus();
}

signOutButton.addEventListener("click", async () => {
  await signOut();
  signInScreen();
});
if (token()) openScreen();
else signInScreen();
