// What the phone keeps in IndexedDB (through idb): the outbox of knocks waiting to sync, the
// lists it pulled (payload and ETag), and which doors it has knocked. Written at once, so a
// closed tab, a reload or a crash loses nothing.

import { openDB } from "./vendor/idb/index.js";

const db = openDB("doorstep", 1, {
  upgrade(database) {
    // one knock result, as POST /sync takes it, plus its state on the phone
    const outbox = database.createObjectStore("outbox", { keyPath: "client_id" });
    outbox.createIndex("walk_list_id", "walk_list_id");
    database.createObjectStore("lists", { keyPath: "id" }); // {id, etag, payload}
    database.createObjectStore("doors", { keyPath: "key" }); // {key: "list:household", at}
  },
});

export async function addKnocks(items) {
  const tx = (await db).transaction(["outbox", "doors"], "readwrite");
  for (const item of items) {
    await tx.objectStore("outbox").put({ ...item, state: "waiting" });
    await tx.objectStore("doors").put({
      key: `${item.walk_list_id}:${item.household_id}`,
      at: item.knocked_at,
    });
  }
  await tx.done;
}

export async function waiting() {
  const items = await (await db).getAll("outbox");
  return items.filter((item) => item.state === "waiting");
}

export async function outbox() {
  return (await db).getAll("outbox");
}

export async function settle(answers) {
  // created or duplicate: stored on the server, the phone forgets it; rejected: kept, with why
  const tx = (await db).transaction("outbox", "readwrite");
  for (const answer of answers) {
    if (answer.status === "rejected") {
      const item = await tx.store.get(answer.client_id);
      if (item) {
        const why = (answer.errors || []).map((e) => e.message).join("; ");
        await tx.store.put({ ...item, state: "rejected", message: why });
      }
    } else if (answer.client_id) {
      await tx.store.delete(answer.client_id);
    }
  }
  await tx.done;
}

export async function knockedDoors(listId) {
  const keys = await (await db).getAllKeys("doors");
  const prefix = `${listId}:`;
  return new Set(keys.filter((k) => k.startsWith(prefix)).map((k) => Number(k.slice(prefix.length))));
}

export async function savedList(id) {
  return (await db).get("lists", id);
}

export async function saveList(id, etag, payload) {
  await (await db).put("lists", { id, etag, payload });
}
