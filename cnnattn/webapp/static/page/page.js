// Page-wide behaviour around gradio's own components: the language switch and gradio's own words.
// Python twin: none (cnnattn/webapp/app.py wires the language switch to window.cnnattnPage.setLanguage).

// Words gradio writes into its components without its translations (its webcam button), each as
// {language: words} from the catalogues ("page.gradio_*"): a text node showing one of them in any
// language is set to the page's language.
let untranslated = [];
const pageLanguage = () => document.documentElement.dataset.cnnattnLanguage || "en";

// gradio's own words (the upload area, the webcam button) follow the page's language switch, not only the
// browser's language: gradio's core module is loaded once, and importing it again by its URL returns it.
async function setGradioLocale(language) {
  const core = performance.getEntriesByType("resource").map((entry) => entry.name)
    .find((name) => /\/assets\/core-[\w-]+\.js$/.test(name));
  if (core) (await import(core)).changeLocale?.(language === "zh" ? "zh-CN" : language);
}

function translateGradioWords() {
  const language = pageLanguage();
  for (const root of document.querySelectorAll("#photo, #lesson-webcam")) {
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const shown = node.nodeValue.trim();
      const phrase = shown && untranslated.find((words) => Object.values(words).includes(shown));
      const wanted = phrase && node.nodeValue.replace(shown, phrase[language] ?? phrase.en);
      if (wanted && node.nodeValue !== wanted) node.nodeValue = wanted;
    }
  }
}

// Once on page load (demo.load js): window.cnnattnPage = {setLanguage}.
export function startPage(views, gradioWords = []) {
  untranslated = gradioWords;
  // A class box shows the chosen class as its text ("top-1 prediction"): focusing it selects that text, so
  // what the visitor types replaces it instead of being appended to it (and matching nothing).
  document.addEventListener("focusin", (event) => {
    if (event.target.matches?.("#explore-class input, #lesson-class input")) event.target.select();
  });
  let translating = false;
  new MutationObserver(() => {  // gradio writes its English again when it redraws; an English page has nothing to do
    if (translating || pageLanguage() === "en") return;
    translating = true;
    requestAnimationFrame(() => { translateGradioWords(); translating = false; });
  }).observe(document.body, { childList: true, subtree: true });

  // The page's language: the views' words, the document's language (screen readers, CJK fonts) and gradio's.
  function setLanguage(language) {
    document.documentElement.dataset.cnnattnLanguage = language;
    document.documentElement.lang = language === "zh" ? "zh-CN" : language;
    for (const view of views()) view.relabel();
    translateGradioWords();
    setGradioLocale(language);
  }
  window.cnnattnPage = { setLanguage };
  // English until a link or the browser's language switches the page (a switch may already have run).
  document.documentElement.dataset.cnnattnLanguage ??= "en";
}
