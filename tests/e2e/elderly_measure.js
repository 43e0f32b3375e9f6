// The 适老化 rules of DESIGN §11 as numbers, measured in the page (tests/e2e/test_elderly_pages.py runs it).
// Called with {large: bool}; returns a list of breaches {rule, where, value}. Rules:
//   tap      every visible control (a, button, input, select, textarea, summary, choice label) ≥ 44×44 CSS px; a link
//            inside a sentence of running text is exempt; a checkbox or radio is measured by its label (the label is
//            what a finger taps)
//   tap-main in large text the main controls (buttons, fields, choices, button-like links, summaries) ≥ 60×60
//   font     in large text every visible text ≥ 18 px (form controls' own text too)
//   line     line-height ≥ 1.3 × font-size on every element holding visible text
//   para     two paragraphs in a row at least 1.3 line pitches apart (their gap ≥ 0.3 × the line height): the spec's
//            段落间距 ≥ 1.3 × 行距, both measured baseline to baseline
//   overflow the page never scrolls sideways (checked by the caller at 360 and 180 px; the elements that stick out
//            are named here)
({large}) => {
  const TAP = 44, TAP_MAIN = 60, MIN_TEXT = 18, LINE = 1.3, PARA = 1.3, SLACK = 0.5;
  const breaches = [];
  const vw = document.documentElement.clientWidth;

  const shown = el => el.checkVisibility({checkOpacity: true, checkVisibilityCSS: true}) && (() => {
    const r = el.getBoundingClientRect();
    if (r.width === 0 && r.height === 0) return false;
    if (r.right <= 0 || r.bottom + window.scrollY <= 0) return false;      // parked off-screen (the skip link)
    for (let a = el; a && a !== document.body; a = a.parentElement) {      // visually hidden (clip, 1 px boxes)
      const s = getComputedStyle(a);
      if (s.clipPath === "inset(50%)" || (s.clip && s.clip !== "auto")) return false;
      if (s.overflow === "hidden" && a.getBoundingClientRect().width <= 1) return false;
    }
    return true;
  })();

  const describe = el => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += "#" + el.id;
    const cls = [...el.classList].slice(0, 3);
    if (cls.length) s += "." + cls.join(".");
    if (el.type && el.tagName !== "A" && el.tagName !== "BUTTON") s += `[type=${el.type}]`;
    const words = (el.innerText || el.value || el.getAttribute("aria-label") || el.name || "")
      .trim().replace(/\s+/g, " ");
    return words ? `${s} «${words.slice(0, 24)}»` : s;
  };
  const add = (rule, el, value) => breaches.push({rule, where: describe(el), value});

  const block = el => {
    let a = el.parentElement;
    while (a && getComputedStyle(a).display.startsWith("inline")) a = a.parentElement;
    return a;
  };
  const CONTROL = "a,button,input,select,textarea,summary,label,[role=button]";
  // A link in running text: the block it sits in holds other words of its own (not another control's, not a
  // nested block's), as in "没有户码？请<a>用手机号进入</a>".
  const inRunningText = link => {
    const container = block(link);
    if (!container) return false;
    const walker = document.createTreeWalker(container, NodeFilter.SHOW_TEXT);
    let other = "";
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      if (link.contains(node) || node.parentElement.closest("a,button,select,textarea,summary,[role=button]") ||
          block(node) !== container) continue;
      other += node.textContent;
    }
    return other.replace(/[\s·,.:;!?，。：；、！？（）()—-]/g, "").length >= 2;
  };

  const FIELD = "input:not([type=hidden]):not([type=checkbox]):not([type=radio]),select,textarea";
  const isChoiceLabel = el => el.tagName === "LABEL" &&
    !!(el.querySelector("input[type=checkbox],input[type=radio]") ||
       (el.htmlFor && document.getElementById(el.htmlFor)?.matches("input[type=checkbox],input[type=radio]")));
  const labelOf = input => input.closest("label") ||
    (input.id && document.querySelector(`label[for="${CSS.escape(input.id)}"]`));
  const MAIN = "button,input[type=submit],input[type=button],.button,a.row-link,[role=button],summary";
  const isMain = el => el.matches(MAIN) ||
    el.matches(FIELD) || isChoiceLabel(el);

  const seen = new Set();
  for (let el of document.querySelectorAll("body " + CONTROL.replace(",[role=button]", "") + ",[role=button]")) {
    if (el.tagName === "LABEL" && !isChoiceLabel(el)) continue;
    if (el.matches("input[type=checkbox],input[type=radio]")) {
      const label = labelOf(el);
      if (label && shown(label)) continue;         // measured as its label
    }
    if (el.tagName === "A" && !el.hasAttribute("href")) continue;
    if (el.tagName === "INPUT" && el.type === "file" && el.closest("label")) continue;  // the labelled picker button
    if (!shown(el) || seen.has(el)) continue;
    seen.add(el);
    if (el.tagName === "A" && !el.classList.contains("button") && inRunningText(el)) continue;
    const r = el.getBoundingClientRect();
    const need = large && isMain(el) ? TAP_MAIN : TAP;
    if (r.width + SLACK < need || r.height + SLACK < need)
      add(need === TAP_MAIN ? "tap-main" : "tap", el,
          `${Math.round(r.width)}×${Math.round(r.height)} px (needs ${need}×${need})`);
  }

  // Text: every visible text node's element; form controls' own text.
  const textEls = new Set();
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.textContent.trim()) continue;
    const el = node.parentElement;
    if (!el || el.closest("script,style,noscript,template,svg,option")) continue;
    textEls.add(el);
  }
  for (const el of document.querySelectorAll(FIELD + ",button")) textEls.add(el);
  const fontSeen = new Set(), lineSeen = new Set();
  for (const el of textEls) {
    if (!shown(el)) continue;
    const s = getComputedStyle(el);
    const size = parseFloat(s.fontSize);
    if (large && size + 0.01 < MIN_TEXT) {
      const key = describe(el);
      if (!fontSeen.has(key)) { fontSeen.add(key); add("font", el, `${size.toFixed(1)} px (needs ${MIN_TEXT})`); }
    }
    const lh = s.lineHeight === "normal" ? null : parseFloat(s.lineHeight);
    if (el.matches("input,select") ) continue;      // one line of text in a box: its line height is the box's
    if (lh === null || lh + 0.01 < LINE * size) {
      const key = describe(el);
      if (!lineSeen.has(key)) {
        lineSeen.add(key);
        add("line", el, lh === null ? "line-height: normal"
                                    : `${(lh / size).toFixed(2)} × ${size.toFixed(1)} px (needs ${LINE})`);
      }
    }
  }

  // Paragraph spacing: p followed by p.
  for (const p of document.querySelectorAll("body p + p")) {
    const prev = p.previousElementSibling;
    if (!shown(p) || !shown(prev) || !p.innerText.trim() || !prev.innerText.trim()) continue;
    const s = getComputedStyle(p), t = getComputedStyle(prev);
    if (s.position !== "static" || t.position !== "static" || s.float !== "none") continue;
    const pitch = style => parseFloat(style.lineHeight) || 1.2 * parseFloat(style.fontSize);
    const lh = Math.max(pitch(s), pitch(t));
    const gap = p.getBoundingClientRect().top - prev.getBoundingClientRect().bottom;
    if (gap + SLACK < (PARA - 1) * lh)
      add("para", p, `${gap.toFixed(1)} px after the paragraph before ` +
                     `(needs ${((PARA - 1) * lh).toFixed(1)}: 1.3 line pitches of ${lh.toFixed(1)} px)`);
  }

  // What sticks out to the right (the innermost elements only, not inside a sideways-scrolling box).
  const out = [];
  for (const el of document.querySelectorAll("body *")) {
    if (el.matches("br, wbr") || !shown(el)) continue;
    const r = el.getBoundingClientRect();
    const spills = getComputedStyle(el).overflowX === "visible" && el.scrollWidth > el.clientWidth + 1 &&
      r.left + el.scrollWidth > vw + 1;                      // its words run out of its box (white-space: nowrap)
    if (r.right <= vw + 1 && !spills) continue;
    let scrolls = false;
    for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
      const ox = getComputedStyle(a).overflowX;
      if (ox === "auto" || ox === "scroll" || ox === "hidden" || ox === "clip") { scrolls = true; break; }
    }
    if (!scrolls) out.push(el);
  }
  for (const el of out.filter(el => !out.some(other => other !== el && el.contains(other))).slice(0, 8))
    add("overflow", el, `right edge at ${Math.round(Math.max(el.getBoundingClientRect().right,
      el.getBoundingClientRect().left + el.scrollWidth))} px of ${vw}`);
  return breaches;
}
