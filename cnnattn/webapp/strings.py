"""The web app's own interface strings in English and Simplified Chinese; `view.*` entries are sent to
the browser code. Anything not here is looked up in `cnnattn.i18n` (the lesson and page texts)."""

from __future__ import annotations

from cnnattn.i18n import text

WEB_STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "error.unreadable": "The uploaded file could not be read; please upload it again.",
        "error.out_of_memory": "The server ran out of GPU memory for this photo; please try again in a moment.",
        "error.bad_class": "Pick a class from the list.",
        "error.bad_settings": "The view's settings could not be read; reload the page and try again.",
        "explore.download": "Prepare downloads of the maps as shown",
        "explore.top1": "top-1 prediction",
        "explore.examples": "Examples",
        "example.cheetah": "cheetah",
        "example.lion": "lion",
        "example.grace_hopper": "Grace Hopper",
        "example.tower": "tower",
        "example.flower": "flower",
        "view.head": "Show",
        "view.all_heads": "every head",
        "view.colormap": "Colormap",
        "view.mode": "Colour scale",
        "view.absolute": "absolute (× uniform weight)",
        "view.per_map": "per map (own maximum)",
        "view.opacity": "Opacity",
        "view.class_temperature": "Temperature of the class map",
        "view.temperature": "Temperature of learned heads",
        "view.query_at": "query at",
        "view.row": "row",
        "view.col": "col",
        "view.uniform": "uniform",
        "view.own_max": "this map's maximum",
        "view.absolute_note": (
            "Absolute scale: colour = weight × number of positions, so a uniform map is evenly dark and 8× "
            "uniform is the brightest colour. Click or tab to a map and use the arrow keys to move the query."
        ),
        "view.guess_prompt": (
            "Predict first: click the photo where you think the model will look (or move there with the arrow "
            "keys and press Enter)."
        ),
        "lesson.guess_mode": "Predict, then reveal: guess where the model looks before the map is shown",
        "lesson.order": (
            "**Follow the order:** 1. pick a photo → 2. step 1, the scores → 3. step 2, softmax turns them into "
            "weights → 4. step 3, the weighted sum → 5. what changed (checks below)."
        ),
        "lesson.map": "The chosen head's map (click or use the arrow keys to choose a cell)",
        "lesson.compare_map": "This head's map beside the reference map",
        "lesson.reference": "Grad-CAM at {layer}",
        "view.per_map_note": (
            "Per map: each map is stretched to its own maximum, so even a nearly flat map looks confident. "
            "Click or tab to a map and use the arrow keys to move the query."
        ),
    },
    "zh": {
        "error.unreadable": "无法读取上传的文件，请重新上传。",
        "error.out_of_memory": "服务器处理这张照片时 GPU 显存不足，请稍后再试。",
        "error.bad_class": "请从列表中选择一个类别。",
        "error.bad_settings": "无法读取视图的设置，请刷新页面后重试。",
        "explore.download": "按当前显示准备下载热力图",
        "explore.top1": "第 1 名预测",
        "explore.examples": "示例照片",
        "example.cheetah": "猎豹",
        "example.lion": "狮子",
        "example.grace_hopper": "格蕾丝·霍珀",
        "example.tower": "塔",
        "example.flower": "花",
        "view.head": "显示",
        "view.all_heads": "所有注意力头",
        "view.colormap": "色图",
        "view.mode": "色标",
        "view.absolute": "绝对（均匀权重的倍数）",
        "view.per_map": "每张图单独（按自身最大值）",
        "view.opacity": "不透明度",
        "view.class_temperature": "类别图的温度",
        "view.temperature": "已训练注意力头的温度",
        "view.query_at": "查询位于",
        "view.row": "行",
        "view.col": "列",
        "view.uniform": "均匀",
        "view.own_max": "本图最大值",
        "view.absolute_note": (
            "绝对色标：颜色 = 权重 × 位置数，均匀的图颜色均匀偏暗，8 倍均匀权重为最亮。"
            "点击热力图，或用键盘把焦点移到热力图上，再用方向键移动查询位置。"
        ),
        "view.guess_prompt": "先预测：点击照片（或用方向键移动后按回车）你认为模型会看的位置。",
        "lesson.guess_mode": "先预测再揭晓：在显示热力图之前猜猜模型看哪里",
        "lesson.order": (
            "**按顺序学习**：1. 选一张照片 → 2. 第 1 步，打分 → 3. 第 2 步，softmax 把分数变成权重 → "
            "4. 第 3 步，加权求和 → 5. 有什么变化（见下方的检验）。"
        ),
        "lesson.map": "所选注意力头的热力图（点击或用方向键选择格子）",
        "lesson.compare_map": "本注意力头的热力图与参照图并排",
        "lesson.reference": "{layer} 处的 Grad-CAM",
        "view.per_map_note": (
            "每张图单独：每张图按自身最大值拉伸，所以几乎平坦的图也显得很确定。"
            "点击热力图，或用键盘把焦点移到热力图上，再用方向键移动查询位置。"
        ),
    },
}


def say(key: str, language: str = "en", **values) -> str:
    """One entry in `language`: the web app's own strings first, then `cnnattn.i18n.text`."""
    language = language if language in WEB_STRINGS else "en"
    template = WEB_STRINGS[language].get(key)
    if template is None:
        return text(key, language, **values)
    return template.format(**values) if values else template


def relabelled(pairs: list, language: str, **values) -> list:
    """Updates for (component, key, attributes) pairs, worded in `language`; `attributes` is "label",
    "value" or several names separated by spaces ("label alt_text"), all set to the same text."""
    import gradio as gr  # only the web app calls this

    return [
        gr.update(**dict.fromkeys(attributes.split(), say(key, language, **values))) for _, key, attributes in pairs
    ]


def browser_strings() -> dict[str, dict[str, str]]:
    """The strings the browser code shows (`view.*`), in every language."""
    return {lang: {k: v for k, v in entries.items() if k.startswith("view.")} for lang, entries in WEB_STRINGS.items()}
