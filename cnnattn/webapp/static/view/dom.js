// Building the view's elements. Python twin: none.

// An element with attributes and text: text, never HTML, so names and labels are escaped.
export function make(tag, attributes = {}, text = null) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) node.setAttribute(name, value);
  if (text !== null) node.textContent = text;
  return node;
}
