// A form generated from `Policy.inputSchema()`. It edits a plain JSON object in place: an empty
// control removes its key, because an absent field is what the policy treats as missing (an
// empty text is a value, but in a form nobody can tell it from "not filled in").
//
// Every control carries `data-path`, the path the report uses for missing values
// (`supplier.ecovadis.ethics`, `supplier.smelters[2].metal`), so the result pane can focus it.
import { el } from "./dom.js";

/** The type as the policy writes it: `number?`, `[Smelter]`, `"a" | "b"`. */
export function typeText(type) {
  const optional = type.optional ? "?" : "";
  switch (type.kind) {
    case "union":
      return type.values.map((v) => `"${v}"`).join(" | ") + optional;
    case "list":
      return `[${typeText(type.element)}]${optional}`;
    case "record":
      return (type.name ?? "{…}") + optional;
    default:
      return type.kind + optional;
  }
}

const idOf = (path) => "in-" + path.replace(/[^A-Za-z0-9_-]+/g, "-");

/** A slot: reads and writes one place of the JSON value (a record field or a list element). */
function slot(get, set) {
  return { get, set };
}

function fieldSlot(parent, name) {
  return slot(
    () => parent.get()?.[name],
    (value) => {
      let record = parent.get();
      if (value === undefined) {
        if (record && typeof record === "object") delete record[name];
        // An emptied record becomes absent again, so the report names the record as missing.
        if (record && Object.keys(record).length === 0) parent.set(undefined);
        return;
      }
      if (!record || typeof record !== "object" || Array.isArray(record)) {
        record = {};
        parent.set(record);
      }
      record[name] = value;
    },
  );
}

function scalarControl(type, path, place, changed) {
  const id = idOf(path);
  const current = place.get();
  const commit = (value) => {
    place.set(value);
    changed();
  };
  switch (type.kind) {
    case "bool": {
      const box = el("input", { type: "checkbox", id, "data-path": path });
      box.checked = current === true;
      box.indeterminate = typeof current !== "boolean";
      const clear = el(
        "button",
        { type: "button", class: "link", title: "make it missing", onclick: () => {
          box.checked = false;
          box.indeterminate = true;
          commit(undefined);
          clear.hidden = true;
        } },
        "unset",
      );
      clear.hidden = typeof current !== "boolean";
      box.addEventListener("change", () => {
        commit(box.checked);
        clear.hidden = false;
      });
      return el("span", { class: "bool" }, box, el("label", { for: id }, box.indeterminate ? "not set" : ""), clear);
    }
    case "union": {
      const select = el("select", { id, "data-path": path }, el("option", { value: "" }, "— not set —"));
      for (const value of type.values) select.append(el("option", { value }, value));
      select.value = typeof current === "string" && type.values.includes(current) ? current : "";
      select.addEventListener("change", () => commit(select.value === "" ? undefined : select.value));
      return select;
    }
    default: {
      const kind = { number: "number", date: "date" }[type.kind] ?? "text";
      const input = el("input", { type: kind, id, "data-path": path, step: kind === "number" ? "any" : undefined });
      if (current !== undefined && current !== null) input.value = String(current);
      input.addEventListener("input", () => {
        const text = input.value;
        if (text === "") return commit(undefined);
        if (kind === "number") {
          const number = Number(text);
          if (Number.isFinite(number)) commit(number);
          return;
        }
        commit(text);
      });
      return input;
    }
  }
}

function listControl(type, path, place, changed) {
  const box = el("div", { class: "list", "data-list": path });
  const render = () => {
    box.replaceChildren();
    const items = place.get();
    if (!Array.isArray(items)) {
      box.append(el("span", { class: "absent" }, "not provided"));
    } else if (items.length === 0) {
      box.append(el("span", { class: "absent" }, "empty list"));
    }
    (Array.isArray(items) ? items : []).forEach((_, index) => {
      const itemPath = `${path}[${index}]`;
      const itemPlace = slot(
        () => place.get()?.[index],
        (value) => {
          // A list keeps its length: an emptied element is `null` (missing), not a shift.
          place.get()[index] = value === undefined ? null : value;
        },
      );
      const remove = el(
        "button",
        { type: "button", class: "icon", title: "remove this row", "aria-label": `remove ${itemPath}`, onclick: () => {
          place.get().splice(index, 1);
          render();
          changed();
        } },
        "×",
      );
      const body = valueControl(type.element, itemPath, itemPlace, changed);
      box.append(el("div", { class: type.element.kind === "record" ? "row record-row" : "row" }, body, remove));
    });
    const add = el(
      "button",
      { type: "button", class: "add", "data-path": path, onclick: () => {
        const items = Array.isArray(place.get()) ? place.get() : [];
        items.push(type.element.kind === "record" ? {} : null);
        place.set(items);
        render();
        changed();
        box.querySelector(".row:last-of-type input, .row:last-of-type select")?.focus();
      } },
      "+ add",
    );
    const actions = el("div", { class: "list-actions" }, add);
    if (Array.isArray(items)) {
      actions.append(
        el("button", { type: "button", class: "link", title: "make the whole list missing", onclick: () => {
          place.set(undefined);
          render();
          changed();
        } }, "unset"),
      );
    } else {
      actions.append(
        el("button", { type: "button", class: "link", onclick: () => {
          place.set([]);
          render();
          changed();
        } }, "set empty"),
      );
    }
    box.append(actions);
  };
  render();
  return box;
}

function recordControl(type, path, place, changed) {
  const box = el("div", { class: "record", "data-record": path });
  for (const field of type.fields) {
    box.append(fieldRow(field, `${path}.${field.name}`, fieldSlot(place, field.name), changed));
  }
  return box;
}

function valueControl(type, path, place, changed) {
  if (type.kind === "list") return listControl(type, path, place, changed);
  if (type.kind === "record") return recordControl(type, path, place, changed);
  return scalarControl(type, path, place, changed);
}

function fieldRow(field, path, place, changed) {
  const nested = field.type.kind === "list" || field.type.kind === "record";
  const label = el(
    "label",
    { class: "field-name", for: nested ? undefined : idOf(path) },
    field.name,
    field.type.optional ? el("span", { class: "optional", title: "may be left out" }, "optional") : null,
    // A select already lists the members of a union.
    el("code", { class: "type" }, field.type.kind === "union" ? "one of" + (field.type.optional ? "?" : "") : typeText(field.type)),
  );
  return el(
    "div",
    { class: nested ? "field nested" : "field", "data-field": path },
    label,
    valueControl(field.type, path, place, changed),
  );
}

/**
 * Renders the fields of `schema` into `container`, editing `holder.value` in place and calling
 * `changed()` after every edit.
 */
export function renderSchemaForm(container, schema, holder, changed) {
  const root = slot(
    () => holder.value,
    (value) => {
      holder.value = value ?? {};
    },
  );
  if (!holder.value || typeof holder.value !== "object" || Array.isArray(holder.value)) holder.value = {};
  container.replaceChildren(
    ...schema.fields.map((field) => fieldRow(field, `${schema.name}.${field.name}`, fieldSlot(root, field.name), changed)),
  );
}

/** The control for a missing path, or the nearest one inside it (`supplier.ecovadis` → its first field). */
export function controlFor(container, path) {
  const exact = container.querySelector(`[data-path="${CSS.escape(path)}"]`);
  if (exact) return exact;
  for (const candidate of container.querySelectorAll("[data-path]")) {
    const p = candidate.getAttribute("data-path");
    if (p.startsWith(path + ".") || p.startsWith(path + "[")) return candidate;
  }
  // A path below an absent list element: the list's add button.
  const parent = path.replace(/(\.[^.[\]]+|\[\d+\])$/, "");
  return parent !== path ? controlFor(container, parent) : null;
}
