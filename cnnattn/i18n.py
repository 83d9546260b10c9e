"""Every user-facing string of the web app and the lesson text, in English and Simplified Chinese.

`text(key, language, **values)` formats one entry; `count` picks the plural; `UserError` carries a key
so `error_message` can word any library error in the visitor's language. Class names live in
`cnnattn.labels`. LaTeX sits between $...$ (inline) or $$...$$ (display); backslashes are raw-string escaped.
"""

from __future__ import annotations

import re

from cnnattn.labels import LANGUAGES

LANGUAGE_CHOICES = [("English", "en"), ("中文", "zh")]

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        # Calibration of the shown probabilities (cnnattn.analysis.calibration).
        "calibration.scaled": (
            "Probabilities are temperature-scaled, softmax(logits / {t:.3g}), for whole photos resized to short side "
            "{side} px"
        ),
        "calibration.ece": " (held-out ECE {raw:.3f} before, {calibrated:.3f} after)",
        "calibration.unchanged": "; the ranking of classes is unchanged.",
        "calibration.none": "none: plain softmax of the logits",
        # Page and Explore tab.
        "language": "Language / 语言",
        "tab.explore": "Explore",
        "tab.lesson": "Lesson",
        "explore.intro": (
            "# cnnattn\nUpload a photo. A pretrained CNN (`{backbone}`) classifies it and its attention heads show, "
            "as heatmaps, the softmax weights they give to every position. Click a SelfAttention map (or tab to it "
            "and use the arrow keys) to move its query."
        ),
        "explore.photo": "Photo",
        "explore.run": "Explain",
        "explore.class": "Class for the class map",
        "explore.query_x": "Query x (click a map or use the arrow keys)",
        "explore.query_y": "Query y",
        "explore.colormap": "Colormap",
        "explore.opacity": "Opacity",
        "explore.temperature": "Temperature of learned heads",
        "explore.class_temperature": "Temperature of the class map",
        "explore.shared_scale": "One colour scale for all maps",
        "explore.predictions": "Top-5 predictions",
        "explore.maps": "Attention maps",
        "explore.grid": "softmax weights (rows = grid rows)",
        "explore.downloads": "Downloads: overlays (PNG), weights (JSON, .npy)",
        "explore.controls": "Controls",
        "lesson.class": "Class for the class map (its classifier row scores the positions)",
        "lesson.top1": "top-1 prediction",
        "lesson.layer": "Layer (feature self-attention only; the other heads use the last feature map)",
        "self.layer": "Layer: **{layer}**, a {h} × {w} grid, one cell per {stride} × {stride} input pixels.",
        "explore.raw_weights": "Raw weights of the class map",
        # Lesson controls.
        "lesson.intro": (
            "## Step through attention on your own photo\nPick a photo (or use the webcam), then follow the three "
            "steps below. Every number comes from the real pretrained network; moving a control recomputes them "
            "from the cached features without running the network again."
        ),
        "lesson.photo": "Your photo",
        "lesson.example": "Or pick an example",
        "lesson.webcam": "Webcam live mode",
        "lesson.webcam_in": "Webcam",
        "lesson.webcam_live": "Live class map",
        "lesson.freeze": "Freeze frame and study it",
        "lesson.head": "Head",
        "lesson.temperature": "Softmax temperature T",
        "lesson.query_x": "Query x (click the map or use the arrow keys)",
        "lesson.query_y": "Query y",
        "lesson.colormap": "Colormap",
        "lesson.opacity": "Opacity",
        "lesson.shared_scale": "One absolute colour scale for both maps",
        "lesson.share": "Share of mass inside the contour",
        "lesson.top_k": "k for the top-k mass",
        "lesson.link": "Link to this view (copy it)",
        "lesson.scores_table": "Step 1 numbers: scores on the grid (click the map to choose a cell)",
        "lesson.weights_table": "Step 2 numbers: weights on the grid, they sum to 1 (click the map to choose a cell)",
        "lesson.step3_table": "Step 3: what the classifier predicts",
        "lesson.compare": "Compare with Grad-CAM and sanity check",
        "lesson.gradcam": "Grad-CAM of the same backbone",
        "lesson.gradcam_run": "Compute Grad-CAM",
        "lesson.sanity_run": "Sanity check: randomise the head's weights",
        "lesson.sanity_image": "The same head with random weights",
        "lesson.occlusion": "Occlusion: cover what the head looks at",
        "lesson.occlude_share": "Cover the smallest region holding this share of the weight",
        "lesson.occlude_run": "Cover it and predict again",
        "lesson.occluded_image": "Covered photo and the new class map",
        "lesson.deletion_run": "Plot the deletion curve",
        "lesson.deletion_image": "Deletion curve",
        "lesson.row": "row",
        "lesson.col.class": "class",
        "lesson.col.average": "average pooling",
        "lesson.col.attention": "attention pooling (z)",
        # Lesson text: pooling heads.
        "pool.formula": (  # the steps explain it piece by piece; the whole of it one tap away
            "<details><summary>The whole head in one formula</summary>\n\n"
            r"$$s_p = w^\top x_p + b \qquad a_p = \frac{e^{s_p/T}}{\sum_q e^{s_q/T}} \qquad z = \sum_p a_p\, x_p$$"
            "\n\n</details>"
        ),
        "pool.head.class": (
            "The **class map** uses the classifier's own row for **{label}** as the 1×1 convolution, so it needs no "
            "training: the score of a position is its evidence for {label}. The network itself never makes this "
            "map: to decide, it averages all positions (average pooling)."
        ),
        "pool.head.simple": "**{head}** is trained: its 1×1 convolution was learned from photos.",
        "pool.head.generic": "The head {head} scores every position; a softmax over all positions makes the weights.",
        "pool.step1": (
            "**Step 1: score every position.** The backbone turned the photo into a grid of {h} × {w} = {n} "
            "positions, each a vector $x_p$ of {c} numbers. A 1×1 convolution gives each position one score "
            "$s_p = w^\\top x_p + b$. Here the scores run from {low:.2f} to {high:.2f}."
        ),
        "pool.step2": (
            "**Step 2: the softmax turns scores into weights.** Divide each score by the temperature T = {t:g}, "
            "take $e^{{s_p/T}}$ and divide by the total. Every weight is positive and together they sum to 1 "
            "(here {total:.4f}), so they are probabilities. Raise T and the weights flatten; lower it and they "
            "sharpen. The largest weight now is {top:.4f}; a uniform map would give every position "
            "1/{n} = {uniform:.4f}."
        ),
        "pool.step3": (
            "**Step 3: the weighted sum.** $z = \\sum_p a_p x_p$ is one vector of {c} numbers: an average of the "
            "positions, weighted by attention. **What the network really does:** it never uses these weights. It "
            "takes the plain average of all {n} positions (average pooling, every weight 1/{n}) and gives "
            "**{label}** {average}. **What if** it pooled with these weights instead? The same classifier would "
            "give **{label}** {attention}. That is an experiment on the network, not how it decided."
        ),
        "pool.step3.circular": (
            "**Why {label} goes up here:** the class map weighted every position by its {label} score, and the "
            "classifier then scores the mix with the same {label} row. Positions that favour {label} count more, so "
            "its score is pushed up: from {before:.2f} with average pooling to {after:.2f}. The answer was fed in, "
            "so this rise says nothing about whether attention helps.\n\n"
            "<details><summary>Exact numbers</summary>\n\nThese scores are the classifier's {label} logits, its raw "
            "outputs before the softmax turns them into probabilities: {before:.3f} → {after:.3f}.\n\n</details>"
        ),
        "pool.cell": (
            "**Cell (row {row}, col {col}):** score $s = {score:.3f}$, weight "
            "$a = e^{{s/T}} / \\sum_q e^{{s_q/T}}$ = {weight}, {compared}.{exact}"
        ),
        # Lesson text: self-attention heads.
        "self.formula": (
            "<details><summary>The whole head in one formula</summary>\n\n"
            r"$$a_{ij} = \mathrm{softmax}_j\Big(\frac{q_i \cdot k_j}{\sqrt{d_k}} \Big/ T\Big) \qquad "
            r"o_i = \sum_j a_{ij}\, v_j$$"
            "\n\n</details>"
        ),
        "self.head.feature_self": (
            "The simplest SelfAttention, with nothing learned: **Q = K = V = x**, the backbone's own features, "
            "{d} numbers per cell. A query then looks at the positions whose features resemble its own."
        ),
        "self.head.self": "**{head}** is trained: its 1×1 projections Q, K and V were learned from photos.",
        "self.head.generic": (
            "The head {head} compares a query cell with every cell; a softmax over the row makes the weights."
        ),
        "self.step1": (
            "**Step 1: compare the query with every key.** The query is cell i = (row {row}, col {col}), the ring on "
            "the map; click another cell of the map (or use the arrow keys) to move it. Its query vector $q_i$ is "
            "compared with the key $k_j$ of every cell j by a dot product, large where the two match. The dot "
            "products, not yet scaled (the step 1 table shows these), run from {low:.1f} to {high:.1f}."
        ),
        "self.step2": (
            "**Step 2: shrink the scores, then softmax.** Each query and key is a list of {d} numbers, and a dot "
            "product adds up {d} products, so the scores grow with the length of the lists. Every score is divided "
            "by {root:.2f}, the square root of {d}, so that the softmax does not give almost all the weight to one "
            "cell. The scaled scores run from {low:.2f} to {high:.2f}. The softmax with temperature T = {t:g} turns "
            "this row into weights that sum to 1 (here {total:.4f}; the step 2 table shows them); the largest is "
            "{top:.4f}.\n\n<details><summary>Exact numbers</summary>\n\nThe scaled score is "
            "$q_i \\cdot k_j / \\sqrt{{d_k}}$, where $d_k$ = {d} is the length of each query and key: "
            "$\\sqrt{{d_k}}$ = {root:.4f}.\n\n</details>"
        ),
        "self.step3": (
            "**Step 3: mix the values.** The output for the query is $o_i = \\sum_j a_{{ij}} v_j$: every cell's "
            "value $v_j$, counted as much as its weight. How alike is this mix to the query's own value $v_i$? On a "
            "scale from -1 (opposite) through 0 (unrelated) to 1 (the same): {cosine:.2f}. At 1 the query would "
            "have looked only at itself.\n\n<details><summary>Exact numbers</summary>\n\nCosine similarity "
            "$\\cos(v_i, o_i) = \\frac{{v_i \\cdot o_i}}{{|v_i|\\,|o_i|}}$ = {cosine:.3f}.\n\n</details>"
        ),
        "self.step3.untrained": (
            "**What the network really does:** its prediction never uses this row (it averages all positions). "
            "Nothing here is trained: the row only shows which cells have features like the query's."
        ),
        "self.step3.trained": (
            "**What the network really does:** its prediction never uses this row (it averages all positions). "
            "The trained SelfAttention block changes the features only for the head's own prediction."
        ),
        "self.cell": (
            "**Cell j = (row {row}, col {col}):** $q_i \\cdot k_j = {dot:.2f}$ (unscaled), scaled {scaled:.3f}, "
            "weight {weight}, {compared}.{exact}"
        ),
        # A cell's weight in words first; a weight written m.m×10⁻ⁿ is one tap away (lesson.tables.cell_weight).
        "weight.tiny.thousand": "less than one in a thousand",
        "weight.tiny.million": "less than one in a million",
        "weight.tiny.billion": "practically zero (less than one in a billion)",
        "cell.times_uniform": "which is {ratio:.2f} × the uniform weight 1/{n}",
        "cell.below_uniform": "far below the uniform weight 1/{n}",
        "cell.exact": (
            "\n\n<details><summary>Exact numbers</summary>\n\nweight $a$ = {weight} = {ratio} × the uniform "
            "weight 1/{n}\n\n</details>"
        ),
        # Readouts and comparisons.
        "readout": (  # the summary first, in plain words; entropy and exp(H) one tap away
            "*{summary}*\n\nThe {k} heaviest positions hold {mass:.1%} of the weight; the contour holds {share:.0%} "
            "of the weight in {positions}.\n\n<details><summary>Exact numbers</summary>\n\nEntropy "
            "$H = -\\sum_p a_p \\ln a_p$ = {entropy:.3f} nats; effective number of positions $e^H$ = "
            "{effective:.1f} of {n}.\n\n</details>"
        ),
        "sanity.result": (
            "**Sanity check:** with random weights of the same scale, the map's rank correlation with the real "
            "one is {rho:.2f}. A map that explains the network should change a lot when its weights are random."
        ),
        "occlusion.result": (
            "Covering {cells} of {n} positions ({share:.0%} of the head's weight): **{label}** goes from {before:.1%} "
            "to {after:.1%}. The top prediction is now **{top}** ({top_prob:.1%})."
        ),
        "deletion.title": "Covering cells, most-attended first",
        "deletion.x": "share of grid cells covered",
        "deletion.y": "probability of {label}",
        "deletion.attention": "heaviest attention first (area {area:.3f})",
        "deletion.random": "random order (area {area:.3f})",
        # Tables (rows and columns counted from 1 on screen; JSON and files keep 0-based indices).
        "table.corner": "row \\ col",
        "table.row": "row {n}",
        "table.cell": "cell (row, col)",
        "table.scores.position": "Step 1 numbers: the score s of every position (before dividing by T)",
        "table.scores.query": "Step 1 numbers: the dot products q·k with every cell, unscaled (before dividing by √dₖ)",
        "table.weights": (
            "Step 2 numbers: the weight a of every position; they sum to 1. Tiny weights are written like "
            "5.0×10⁻⁴ (= 0.0005); none is 0."
        ),
        "table.step3.query": "Step 3: the cells the query weighs most",
        "lesson.col.dot": "q·k (unscaled)",
        "lesson.col.scaled": "q·k/√dₖ (scaled)",
        "lesson.col.weight": "weight a",
        "count.position": "{n} position|{n} positions",
        "count.photo": "{n} photo|{n} photos",
        "count.neighbour": "{n} neighbour|{n} neighbours",
        # Names of heads, layers and maps; labels drawn on images; download file names.
        "head.name.class": "class map",
        "head.name.simple": "SimpleAttention head {n}",
        "head.name.self": "SelfAttention head {n}",
        "head.name.feature_self": "feature self-attention",
        "head.name.generic": "head {head}",
        "head.name.card": "{base}: {name}",
        "head.kind.simple": "SimpleAttention pooling",
        "head.kind.self": "SelfAttention block",
        "head.kind.generic": "{kind} head",
        "layer.final": "last feature map",
        "layer.stage": "earlier stage {n}, {layer}",
        "map.gradcam": "Grad-CAM for {label}, {layer}",
        "map.random": "{head} with random weights",
        "label.step": "Step {n}",
        "label.contour": "contour: smallest region with {share:.0%} of the mass",
        "label.mass": "mass",
        "label.probability": "probability",
        "label.covered": "covered",
        # Held-out accuracy from the trained heads' cards.
        "accuracy.held_out": (
            "**Measured** on {photos} kept out of training, the share the network names correctly: with average "
            "pooling alone (the network as it is) {backbone:.1%}; with a trained attention head: {heads}."
        ),
        "accuracy.validation": (
            "**Measured** on {photos} used to choose the training settings (no final test yet), the share the "
            "network names correctly: with average pooling alone {backbone:.1%}; with a trained attention head: "
            "{heads}."
        ),
        "accuracy.item": "{name} {value:.1%}",
        "list.separator": "; ",
        "sentence.separator": " ",
        "accuracy.not_better": "So attention pooling does not make this network more accurate.",
        "accuracy.better": "So the trained {name} is {diff:.1%} more accurate here.",
        # Comparison with a post-hoc map, and the sanity check.
        "compare.result": (
            "**Grad-CAM for {label} ({layer})** against this map: Spearman rank correlation ρ = {rho:.2f} (1: the "
            "same order of positions, 0: unrelated, -1: the opposite order), top-{k} overlap {overlap:.0%}."
        ),
        # The verdict for every range of ρ (cnnattn.analysis.comparison.AGREE and WEAK hold the same bounds).
        "compare.agree": "**Verdict: they agree** (ρ of 0.5 or more): both maps rank mostly the same positions first.",
        "compare.weak": (
            "**Verdict: they agree only weakly** (ρ from 0.2 up to 0.5): the two orders of positions are a little "
            "alike, far from the same."
        ),
        "compare.unrelated": (
            "**Verdict: they do not agree** (ρ between -0.2 and 0.2): the two maps order the positions almost "
            "independently of each other."
        ),
        "compare.opposite": (
            "**Verdict: they disagree** (ρ of -0.2 or less): where one map is heavy, the other tends to be light."
        ),
        "compare.independent": (
            "Grad-CAM here comes from the gradients at an earlier stage, not from the scores this head uses, so "
            "how well they match is a real test, not a given."
        ),
        "compare.circular": (
            "**They agree by construction:** at this layer Grad-CAM is about ReLU($w_c \\cdot x_p$) and the class "
            "map is softmax($w_c \\cdot x_p / T$), the same scores, so a high agreement is guaranteed and proves "
            "nothing."
        ),
        "compare.query": (
            "A SelfAttention row shows which cells resemble the query cell, not evidence for a class, so it need "
            "not match Grad-CAM, and a low ρ is expected."
        ),
        "compare.note": (
            "The network's prediction came from average pooling; both maps are explanations made afterwards."
        ),
        "sanity.pass": (
            "**Sanity check passed:** with its weights replaced by random numbers of the same size, this head's map "
            "has Spearman rank correlation ρ = {rho:.2f} with the real one, no higher than {threshold:.2f}, the "
            "mean ρ between this head's maps of two different photos. The map depends on the head's weights."
        ),
        "sanity.fail": (
            "**Sanity check failed:** with random weights the map still has Spearman rank correlation "
            "ρ = {rho:.2f} with the real one, higher than {threshold:.2f}, the mean ρ between this head's maps of "
            "two different photos. Much of the map's shape comes from the grid or the photo, not the head's weights."
        ),
        # Predict, then reveal.
        "guess.prompt": "Before you see the map: click where you think the model will look.",
        "guess.result": (
            "Your cell (row {row}, col {col}) and its {neighbours} hold {mass:.1%} of the attention; a uniform map "
            "would give them {uniform:.1%}, so that is {ratio:.1f} × uniform. Your cell ranks {rank} of {n} "
            "(1 = the heaviest)."
        ),
        "guess.good": "Good guess: the model looks there much more than at an average place.",
        "guess.fair": "Close: the model looks there a little more than at an average place.",
        "guess.miss": "Not quite: the model looks there less than at an average place. Find where it does look.",
        # Occlusion and deletion, explained.
        "occlusion.fell": "Covering them lowered {label}: those cells held evidence the network used for it.",
        "occlusion.rose": (
            "Covering them raised {label}. That can happen: the covered cells may have held evidence for competing "
            "classes, and the flat patch of mean colour is itself something the network sees."
        ),
        "occlusion.same": "Hardly any change: the network found enough evidence for {label} elsewhere in the photo.",
        "deletion.caption": (
            "Each point covers more grid cells with grey and asks the network again for the probability of {label}: "
            "one line covers the cells with the most attention first, the other covers them in a random order. "
            "The smaller the area under a line, the more the first cells covered mattered."
        ),
        "deletion.faster": (
            "Covering by attention hurts sooner than covering at random (area {attention:.3f} against "
            "{random:.3f}): the map points at evidence the network needs."
        ),
        "deletion.slower": (
            "Covering by attention does not hurt sooner than covering at random (area {attention:.3f} against "
            "{random:.3f}): this map does not point at the evidence this prediction depends on."
        ),
        "link.upload": (
            "This link cannot bring back your uploaded photo: the server does not keep uploads, so links only "
            "reopen the example photos. It opens the lesson with the same settings; send the photo along with it."
        ),
        # Errors: settings (LessonSettings.checked) and the safe image loader (ImageRejected).
        "error.generic": "Something went wrong on the server; please try again.",
        "error.model_unavailable": "The model servers are restarting; please try again in a moment.",
        "error.checkpoint.missing": "No trained {kind} head for {backbone} in {directory} (run `cnnattn train`).",
        "error.checkpoint.corrupt": "The {kind} head checkpoint {name} is unreadable or corrupt.",
        "error.checkpoint.backbone": "{name} was trained for {trained}, not {backbone}.",
        "error.checkpoint.fit": "{name} does not fit {backbone} ({channels} channels).",
        "note.no_calibration": "No calibration at short side {side}; probabilities are a plain softmax.",
        "note.small_photo": (
            "Small photo ({width} × {height} pixels): the network sees it enlarged to {side} pixels on the shorter "
            "side, so the maps rest on few real pixels."
        ),
        "error.settings.head": "Unknown head “{value}”; choose one of {choices}.",
        "error.settings.temperature": "Temperature must be between {low} and {high}.",
        "error.settings.temperature_positive": "Temperature must be positive.",
        "error.settings.query": "The query must be fractions of width and height in [0, 1].",
        "error.settings.colormap": "Unknown colormap “{value}”; choose one of {choices}.",
        "error.settings.opacity": "Opacity must be between 0 and 1.",
        "error.settings.share": "The share of mass must be in (0, 1].",
        "error.settings.top_k": "k must be at least 1.",
        "error.settings.language": "Unknown language “{value}”; choose one of {choices}.",
        "error.settings.class": "Class must be {top1} (top-1) or an index from 0 to {last}.",
        "error.settings.layer": "Unknown layer “{value}”; choose one of {choices}.",
        "error.settings.cell": "Cell (row {row}, col {col}) is outside the {h} × {w} grid.",
        "error.image.too_many_pixels_to_decode": "The image has too many pixels to decode safely (limit {limit:,}).",
        "error.image.not_an_image": "This file is not an image cnnattn can read; use one of {formats}.",
        "error.image.damaged": "The image file is damaged or truncated and cannot be decoded.",
        "error.image.not_a_file": "{name} is not a regular file.",
        "error.image.unreadable": "Cannot read {name}: {reason}.",
        "error.image.too_large": "The file is {size_mb:.1f} MB; the limit is {limit_mb} MB.",
        "error.image.empty": "The file is empty.",
        "error.image.too_many_pixels": "The image is {width}x{height} pixels; the limit is {limit_mp} megapixels.",
        "error.image.too_small": "The image is {width}x{height} pixels; each side needs at least {min_side}.",
        "error.image.too_narrow": (
            "The image is {width}x{height} pixels; its sides may differ by at most {max_aspect:g} times."
        ),
        "error.no_photo": "Upload a photo, pick an example or freeze a webcam frame first.",
        "error.expired": "This photo is no longer cached on the server; please upload it again.",
        "error.no_frame": "Start the webcam first, then freeze a frame.",
    },
    "zh": {
        "calibration.scaled": "概率经过温度缩放，即 softmax(logit / {t:.3g})，适用于短边缩放到 {side} 像素的整张照片",
        "calibration.ece": "（留出集上的期望校准误差：缩放前 {raw:.3f}，缩放后 {calibrated:.3f}）",
        "calibration.unchanged": "；各类别的排名不变。",
        "calibration.none": "未校准：直接对 logit 做 softmax",
        "language": "Language / 语言",
        "tab.explore": "探索",
        "tab.lesson": "课堂",
        "explore.intro": (
            "# cnnattn\n上传一张照片。预训练的卷积神经网络（`{backbone}`）对它分类，注意力头把它们给每个位置的 "
            "softmax 权重画成热力图。点击 SelfAttention 的热力图（或用键盘把焦点移到图上，再按方向键）可以移动"
            "查询位置。"
        ),
        "explore.photo": "照片",
        "explore.run": "解释",
        "explore.class": "类别图所用的类别",
        "explore.query_x": "查询 x（点击热力图或用方向键）",
        "explore.query_y": "查询 y",
        "explore.colormap": "色图",
        "explore.opacity": "不透明度",
        "explore.temperature": "已训练注意力头的温度",
        "explore.class_temperature": "类别图的温度",
        "explore.shared_scale": "所有热力图使用同一色标",
        "explore.predictions": "前 5 个预测",
        "explore.maps": "注意力热力图",
        "explore.grid": "softmax 权重（行 = 网格行）",
        "explore.downloads": "下载：叠加图（PNG）、权重（JSON、.npy）",
        "explore.controls": "控制项",
        "lesson.class": "类别图所用的类别（用该类别的分类器行给各位置打分）",
        "lesson.top1": "第 1 名预测",
        "lesson.layer": "层（仅用于特征自注意力；其他注意力头使用最后一层特征图）",
        "self.layer": "层：**{layer}**，{h} × {w} 的网格，每格对应 {stride} × {stride} 个输入像素。",
        "explore.raw_weights": "类别图的原始权重",
        "lesson.intro": (
            "## 用你自己的照片一步步理解注意力\n选一张照片（或打开摄像头），然后跟着下面三个步骤走。所有数字都来自"
            "真实的预训练网络；移动任何控件都会用缓存的特征重新计算，而不会再次运行网络。"
        ),
        "lesson.photo": "你的照片",
        "lesson.example": "或者选一个示例",
        "lesson.webcam": "摄像头实时模式",
        "lesson.webcam_in": "摄像头",
        "lesson.webcam_live": "实时类别图",
        "lesson.freeze": "定格画面并仔细研究",
        "lesson.head": "注意力头",
        "lesson.temperature": "softmax 温度 T",
        "lesson.query_x": "查询 x（点击热力图或用方向键）",
        "lesson.query_y": "查询 y",
        "lesson.colormap": "色图",
        "lesson.opacity": "不透明度",
        "lesson.shared_scale": "两张图使用同一个绝对色标",
        "lesson.share": "轮廓内包含的权重比例",
        "lesson.top_k": "前 k 个位置的 k",
        "lesson.link": "当前视图的链接（可复制）",
        "lesson.scores_table": "第 1 步的数字：网格上的得分（点击热力图可以选择格子）",
        "lesson.weights_table": "第 2 步的数字：网格上的权重，总和为 1（点击热力图可以选择格子）",
        "lesson.step3_table": "第 3 步：分类器的预测",
        "lesson.compare": "与 Grad-CAM 对比并做合理性检验",
        "lesson.gradcam": "同一骨干网络的 Grad-CAM",
        "lesson.gradcam_run": "计算 Grad-CAM",
        "lesson.sanity_run": "合理性检验：把注意力头的权重随机化",
        "lesson.sanity_image": "同一个注意力头，但权重是随机的",
        "lesson.occlusion": "遮挡：盖住注意力头关注的地方",
        "lesson.occlude_share": "遮住包含这一比例权重的最小区域",
        "lesson.occlude_run": "遮住后重新预测",
        "lesson.occluded_image": "被遮挡的照片和新的类别图",
        "lesson.deletion_run": "画出删除曲线",
        "lesson.deletion_image": "删除曲线",
        "lesson.row": "行",
        "lesson.col.class": "类别",
        "lesson.col.average": "平均池化",
        "lesson.col.attention": "注意力池化（z）",
        "pool.formula": (  # the steps explain it piece by piece; the whole of it one tap away
            "<details><summary>整个注意力头的公式</summary>\n\n"
            r"$$s_p = w^\top x_p + b \qquad a_p = \frac{e^{s_p/T}}{\sum_q e^{s_q/T}} \qquad z = \sum_p a_p\, x_p$$"
            "\n\n</details>"
        ),
        "pool.head.class": (
            "**类别图**直接用分类器中 **{label}** 那一行作为 1×1 卷积，因此不需要训练：一个位置的得分就是它支持"
            "“{label}”的证据。网络自己从不生成这张图：它做判断时把所有位置平均（平均池化）。"
        ),
        "pool.head.simple": "**{head}** 是训练过的：它的 1×1 卷积是从照片中学出来的。",
        "pool.head.generic": "注意力头 {head} 给每个位置打分；对所有位置做 softmax 得到权重。",
        "pool.step1": (
            "**第 1 步：给每个位置打分。** 骨干网络把照片变成 {h} × {w} = {n} 个位置的网格，每个位置是一个含 "
            "{c} 个数的向量 $x_p$。1×1 卷积给每个位置一个得分 $s_p = w^\\top x_p + b$。这里得分从 {low:.2f} "
            "到 {high:.2f}。"
        ),
        "pool.step2": (
            "**第 2 步：softmax 把得分变成权重。** 每个得分除以温度 T = {t:g}，取 $e^{{s_p/T}}$，再除以总和。"
            "每个权重都是正数，加起来正好等于 1（这里是 {total:.4f}），所以它们是概率。T 越大权重越平均，T 越小"
            "越集中。现在最大的权重是 {top:.4f}；均匀分布时每个位置是 1/{n} = {uniform:.4f}。"
        ),
        "pool.step3": (
            "**第 3 步：加权求和。** $z = \\sum_p a_p x_p$ 是一个含 {c} 个数的向量：按注意力加权的各位置平均。"
            "**网络实际的做法**：它从不使用这些权重，而是把全部 {n} 个位置直接平均（平均池化，每个权重都是 1/{n}），"
            "给“**{label}**”的概率是 {average}。**假如**改用这些权重做池化呢？同一个分类器会给“**{label}**”"
            "{attention}。这是对网络做的一个实验，并不是网络做判断的方式。"
        ),
        "pool.step3.circular": (
            "**为什么“{label}”在这里会上升**：类别图按每个位置对“{label}”的得分给它加权，分类器随后又用同一行"
            "“{label}”给混合结果打分。支持“{label}”的位置分量更重，所以它的得分被推高：从 {before:.2f}（平均池化）"
            "变为 {after:.2f}。答案本身被喂了进去，所以这种上升并不能说明注意力有帮助。\n\n"
            "<details><summary>精确数值</summary>\n\n这里的得分是分类器对“{label}”输出的 logit，也就是 softmax "
            "把它变成概率之前的原始输出：{before:.3f} → {after:.3f}。\n\n</details>"
        ),
        "pool.cell": (
            "**格子（第 {row} 行，第 {col} 列）**：得分 $s = {score:.3f}$，权重 "
            "$a = e^{{s/T}} / \\sum_q e^{{s_q/T}}$ = {weight}，{compared}。{exact}"
        ),
        "self.formula": (
            "<details><summary>整个注意力头的公式</summary>\n\n"
            r"$$a_{ij} = \mathrm{softmax}_j\Big(\frac{q_i \cdot k_j}{\sqrt{d_k}} \Big/ T\Big) \qquad "
            r"o_i = \sum_j a_{ij}\, v_j$$"
            "\n\n</details>"
        ),
        "self.head.feature_self": (
            "最简单的 SelfAttention，没有任何需要学习的参数：**Q = K = V = x**，即骨干网络自己的特征，每个格子 {d} "
            "个数。这样，查询位置会关注那些特征和自己相似的位置。"
        ),
        "self.head.self": "**{head}** 是训练过的：它的 1×1 投影 Q、K、V 是从照片中学出来的。",
        "self.head.generic": "注意力头 {head} 把查询格子和每个格子比较；对这一行做 softmax 得到权重。",
        "self.step1": (
            "**第 1 步：用查询和每个键比较。** 查询是格子 i =（第 {row} 行，第 {col} 列），即热力图上的圆圈；点击热力图"
            "上的其他格子（或用方向键）可以移动它。它的查询向量 $q_i$ 与每个格子 j 的键 $k_j$ 做点积，两者越匹配点积"
            "越大。尚未缩放的点积（第 1 步的表格显示的就是它们）从 {low:.1f} 到 {high:.1f}。"
        ),
        "self.step2": (
            "**第 2 步：先把得分缩小，再做 softmax。** 每个查询和键都是 {d} 个数，点积要把 {d} 个乘积加起来，所以"
            "数越多，得分往往越大。每个得分都除以 {root:.2f}（{d} 的平方根），这样 softmax 就不会把几乎全部权重都"
            "给一个格子。缩放后的得分从 {low:.2f} 到 {high:.2f}。温度 T = {t:g} 的 softmax 把这一行变成总和为 1 的"
            "权重（这里是 {total:.4f}，第 2 步的表格显示这些权重），最大的是 {top:.4f}。\n\n"
            "<details><summary>精确数值</summary>\n\n缩放后的得分是 $q_i \\cdot k_j / \\sqrt{{d_k}}$，其中 "
            "$d_k$ = {d} 是每个查询和键的长度：$\\sqrt{{d_k}}$ = {root:.4f}。\n\n</details>"
        ),
        "self.step3": (
            "**第 3 步：混合各个值向量。** 查询的输出是 $o_i = \\sum_j a_{{ij}} v_j$：每个格子的值向量 $v_j$ "
            "按它的权重计入。这个混合结果和查询自己的值向量 $v_i$ 有多像？在从 -1（完全相反）经过 0（毫无关系）到 "
            "1（完全相同）的尺度上，它是 {cosine:.2f}。如果是 1，就说明查询只看了自己。\n\n"
            "<details><summary>精确数值</summary>\n\n余弦相似度 "
            "$\\cos(v_i, o_i) = \\frac{{v_i \\cdot o_i}}{{|v_i|\\,|o_i|}}$ = {cosine:.3f}。\n\n</details>"
        ),
        "self.step3.untrained": (
            "**网络实际的做法**：它的预测从不使用这一行（它把所有位置平均）。这里没有任何训练过的参数：这一行只显示"
            "哪些格子的特征和查询格子相似。"
        ),
        "self.step3.trained": (
            "**网络实际的做法**：它的预测从不使用这一行（它把所有位置平均）。训练过的 SelfAttention 模块只在这个"
            "注意力头自己的预测里改变特征。"
        ),
        "self.cell": (
            "**格子 j =（第 {row} 行，第 {col} 列）**：$q_i \\cdot k_j = {dot:.2f}$（未缩放），缩放后 {scaled:.3f}，"
            "权重 {weight}，{compared}。{exact}"
        ),
        "weight.tiny.thousand": "不到千分之一",
        "weight.tiny.million": "不到百万分之一",
        "weight.tiny.billion": "几乎为零（不到十亿分之一）",
        "cell.times_uniform": "是均匀权重 1/{n} 的 {ratio:.2f} 倍",
        "cell.below_uniform": "远小于均匀权重 1/{n}",
        "cell.exact": (
            "\n\n<details><summary>精确数值</summary>\n\n权重 $a$ = {weight}，是均匀权重 1/{n} 的 {ratio} 倍"
            "\n\n</details>"
        ),
        "readout": (
            "*{summary}*\n\n权重最大的 {k} 个位置占 {mass:.1%} 的权重；轮廓圈出的 {positions}包含 {share:.0%} "
            "的权重。\n\n<details><summary>精确数值</summary>\n\n熵 $H = -\\sum_p a_p \\ln a_p$ = "
            "{entropy:.3f} 奈特；有效位置数 $e^H$ = {effective:.1f}（共 {n} 个）。\n\n</details>"
        ),
        "sanity.result": (
            "**合理性检验**：换成同样尺度的随机权重后，新图与原图的秩相关是 {rho:.2f}。真正解释网络的图，在权重"
            "随机化后应该变化很大。"
        ),
        "occlusion.result": (
            "遮住 {n} 个位置中的 {cells} 个（占该注意力头 {share:.0%} 的权重）后，“**{label}**”的概率从 {before:.1%} "
            "变为 {after:.1%}。现在排第一的预测是“**{top}**”（{top_prob:.1%}）。"
        ),
        "deletion.title": "按注意力从高到低遮挡格子",
        "deletion.x": "被遮挡的格子比例",
        "deletion.y": "“{label}”的概率",
        "deletion.attention": "先遮注意力最高的（面积 {area:.3f}）",
        "deletion.random": "随机顺序（面积 {area:.3f}）",
        "table.corner": "行 \\ 列",
        "table.row": "第 {n} 行",
        "table.cell": "格子（行, 列）",
        "table.scores.position": "第 1 步的数字：每个位置的得分 s（除以 T 之前）",
        "table.scores.query": "第 1 步的数字：与每个格子的点积 q·k，未缩放（除以 √dₖ 之前）",
        "table.weights": (
            "第 2 步的数字：每个位置的权重 a，总和为 1。很小的权重写成 5.0×10⁻⁴（= 0.0005）这样；没有一个是 0。"
        ),
        "table.step3.query": "第 3 步：查询最看重的格子",
        "lesson.col.dot": "q·k（未缩放）",
        "lesson.col.scaled": "q·k/√dₖ（缩放后）",
        "lesson.col.weight": "权重 a",
        "count.position": "{n} 个位置",
        "count.photo": "{n} 张照片",
        "count.neighbour": "{n} 个相邻格子",
        "head.name.class": "类别图",
        "head.name.simple": "SimpleAttention 注意力头 {n}",
        "head.name.self": "SelfAttention 注意力头 {n}",
        "head.name.feature_self": "特征自注意力",
        "head.name.generic": "注意力头 {head}",
        "head.name.card": "{base}：{name}",
        "head.kind.simple": "SimpleAttention 池化",
        "head.kind.self": "SelfAttention 模块",
        "head.kind.generic": "{kind} 注意力头",
        "layer.final": "最后一层特征图",
        "layer.stage": "较早的第 {n} 个阶段",
        "map.gradcam": "“{label}”的 Grad-CAM，{layer}",
        "map.random": "{head}（随机权重）",
        "label.step": "第 {n} 步",
        "label.contour": "轮廓：包含 {share:.0%} 权重的最小区域",
        "label.mass": "权重占比",
        "label.probability": "概率",
        "label.covered": "已遮挡",
        "accuracy.held_out": (
            "**实测**：在训练时没有用过的 {photos}上，网络认对的比例：只用平均池化（网络本来的做法）{backbone:.1%}；"
            "加上训练过的注意力头：{heads}。"
        ),
        "accuracy.validation": (
            "**实测**：在用来选择训练设置的 {photos}上（还没有最终测试），网络认对的比例：只用平均池化 "
            "{backbone:.1%}；加上训练过的注意力头：{heads}。"
        ),
        "accuracy.item": "{name} {value:.1%}",
        "list.separator": "；",
        "sentence.separator": "",
        "accuracy.not_better": "所以注意力池化并没有让这个网络更准确。",
        "accuracy.better": "所以训练过的 {name}在这里准确率高 {diff:.1%}。",
        "compare.result": (
            "**“{label}”的 Grad-CAM**（{layer}）与这张图相比：Spearman 秩相关 ρ = {rho:.2f}（1 表示位置的排序完全"
            "相同，0 表示无关，-1 表示排序正好相反），前 {k} 个位置重合 {overlap:.0%}。"
        ),
        "compare.agree": "**结论：两者一致**（ρ 不小于 0.5）：两张图排在前面的位置大体相同。",
        "compare.weak": "**结论：两者只是略微一致**（ρ 在 0.2 到 0.5 之间）：两种排序有一点相似，但远不相同。",
        "compare.unrelated": "**结论：两者不一致**（ρ 在 -0.2 到 0.2 之间）：两张图对位置的排序几乎互不相关。",
        "compare.opposite": "**结论：两者相反**（ρ 不大于 -0.2）：一张图权重大的地方，另一张图往往权重小。",
        "compare.independent": (
            "这里的 Grad-CAM 来自较早阶段的梯度，而不是这个注意力头所用的得分，所以两者是否吻合是一次真正的检验，"
            "而不是必然的结果。"
        ),
        "compare.circular": (
            "**两者必然一致**：在这一层，Grad-CAM 约等于 ReLU($w_c \\cdot x_p$)，类别图是 "
            "softmax($w_c \\cdot x_p / T$)，用的是同样的得分，所以一致性高是注定的，什么也证明不了。"
        ),
        "compare.query": (
            "SelfAttention 的一行显示的是哪些格子和查询格子相似，而不是某个类别的证据，所以它不必和 Grad-CAM 吻合，"
            "ρ 低是意料之中的。"
        ),
        "compare.note": "网络的预测来自平均池化；这两张图都是事后做出的解释。",
        "sanity.pass": (
            "**合理性检验通过**：把权重换成同样大小的随机数后，新图与原图的 Spearman 秩相关 ρ = {rho:.2f}，"
            "不高于 {threshold:.2f}（这个注意力头在两张不同照片上的图之间的平均 ρ）。这张图取决于注意力头的权重。"
        ),
        "sanity.fail": (
            "**合理性检验未通过**：换成随机权重后，新图与原图的 Spearman 秩相关仍有 ρ = {rho:.2f}，高于 "
            "{threshold:.2f}（这个注意力头在两张不同照片上的图之间的平均 ρ）。这张图的形状很大程度上来自网格或照片，"
            "而不是注意力头的权重。"
        ),
        "guess.prompt": "看到热力图之前：点击你认为模型会看的地方。",
        "guess.result": (
            "你选的格子（第 {row} 行，第 {col} 列）和它的 {neighbours}共占 {mass:.1%} 的注意力；均匀分布时它们只占 "
            "{uniform:.1%}，所以是均匀情况的 {ratio:.1f} 倍。你的格子在 {n} 个位置中排第 {rank}（第 1 是权重最大的）。"
        ),
        "guess.good": "猜得好：模型看那里比看一般的地方多得多。",
        "guess.fair": "接近了：模型看那里比看一般的地方稍多一些。",
        "guess.miss": "不太对：模型看那里比看一般的地方还少。找找它真正看的地方吧。",
        "occlusion.fell": "遮住它们后“{label}”下降了：这些格子里有网络判断它时用到的证据。",
        "occlusion.rose": (
            "遮住它们后“{label}”反而上升了。这是可能的：被遮住的格子可能含有支持其他类别的证据，而且那块平均颜色的"
            "平坦区域本身也是网络看到的输入。"
        ),
        "occlusion.same": "几乎没有变化：网络在照片的其他地方找到了足够支持“{label}”的证据。",
        "deletion.caption": (
            "每个点用灰色多遮住一些格子，再让网络重新给出“{label}”的概率：一条线先遮注意力最高的格子，另一条按随机"
            "顺序遮。线下面积越小，说明最先遮住的格子越重要。"
        ),
        "deletion.faster": (
            "按注意力遮挡比随机遮挡更早让概率下降（面积 {attention:.3f}，随机为 {random:.3f}）：这张图指向了网络需要"
            "的证据。"
        ),
        "deletion.slower": (
            "按注意力遮挡并不比随机遮挡更早让概率下降（面积 {attention:.3f}，随机为 {random:.3f}）：这张图没有指向"
            "这个预测所依赖的证据。"
        ),
        "link.upload": (
            "这个链接无法带回你上传的照片：服务器不保存上传的文件，所以链接只能重新打开示例照片。它会用同样的设置打开"
            "课堂页面；请把照片和链接一起发送。"
        ),
        "error.generic": "服务器出了问题，请再试一次。",
        "error.model_unavailable": "模型服务器正在重启，请稍后再试。",
        "error.checkpoint.missing": (
            "{directory} 中没有为 {backbone} 训练的 {kind} 注意力头（请运行 `cnnattn train`）。"
        ),
        "error.checkpoint.corrupt": "{kind} 注意力头的检查点 {name} 无法读取或已损坏。",
        "error.checkpoint.backbone": "{name} 是为 {trained} 训练的，不是 {backbone}。",
        "error.checkpoint.fit": "{name} 与 {backbone}（{channels} 个通道）不匹配。",
        "note.no_calibration": "短边 {side} 像素没有校准；概率是普通的 softmax。",
        "note.small_photo": (
            "照片较小（{width} × {height} 像素）：网络看到的是放大到短边 {side} 像素的版本，"
            "注意力图背后的真实像素很少。"
        ),
        "error.settings.head": "没有名为“{value}”的注意力头；请从列表中选择。",
        "error.settings.temperature": "温度必须在 {low} 到 {high} 之间。",
        "error.settings.temperature_positive": "温度必须大于 0。",
        "error.settings.query": "查询位置必须是 0 到 1 之间的宽度和高度比例。",
        "error.settings.colormap": "没有名为“{value}”的色图；请从 {choices} 中选择。",
        "error.settings.opacity": "不透明度必须在 0 到 1 之间。",
        "error.settings.share": "权重比例必须大于 0 且不超过 1。",
        "error.settings.top_k": "k 至少为 1。",
        "error.settings.language": "不支持这种语言；请选择英语或中文。",
        "error.settings.class": "类别必须是 {top1}（第 1 名预测）或 0 到 {last} 之间的编号。",
        "error.settings.layer": "没有这个层；请从列表中选择。",
        "error.settings.cell": "格子（第 {row} 行，第 {col} 列）不在 {h} × {w} 的网格内。",
        "error.image.too_many_pixels_to_decode": "这张图片的像素太多，无法安全解码（上限 {limit:,}）。",
        "error.image.not_an_image": "这个文件不是 cnnattn 能读取的图片；请使用 {formats} 之一。",
        "error.image.damaged": "图片文件已损坏或不完整，无法解码。",
        "error.image.not_a_file": "{name} 不是普通文件。",
        "error.image.unreadable": "无法读取 {name}。",
        "error.image.too_large": "文件大小为 {size_mb:.1f} MB；上限是 {limit_mb} MB。",
        "error.image.empty": "文件是空的。",
        "error.image.too_many_pixels": "图片为 {width}x{height} 像素；上限是 {limit_mp} 百万像素。",
        "error.image.too_small": "图片为 {width}x{height} 像素；每条边至少需要 {min_side} 像素。",
        "error.image.too_narrow": "图片为 {width}x{height} 像素；长边最多只能是短边的 {max_aspect:g} 倍。",
        "error.no_photo": "请先上传照片、选择示例或定格一帧摄像头画面。",
        "error.expired": "服务器上已没有这张照片的缓存，请重新上传。",
        "error.no_frame": "请先打开摄像头，再定格画面。",
    },
}


def resolve_language(value: str | None) -> str:
    """A browser locale such as "zh-CN" or "en-GB" -> "zh" or "en"; anything else -> "en"."""
    code = (value or "").strip().lower().replace("_", "-").split("-", 1)[0]
    return code if code in LANGUAGES else "en"


def text(key: str, language: str = "en", **values) -> str:
    if language not in STRINGS:
        raise ValueError(f"Unknown language {language!r}; choose one of {tuple(STRINGS)}.")
    template = STRINGS[language][key]
    return template.format(**values) if values else template


def count(key: str, n: int, language: str = "en") -> str:
    """A number with its noun, e.g. "1 position" / "2 positions" / "2 个位置": entries hold "singular|plural"
    (English) or one form (Chinese, which has no plural)."""
    forms = text(key, language, n=n).split("|")
    return forms[0] if n == 1 or len(forms) == 1 else forms[1]


class UserError(ValueError):
    """A mistake a person can fix, named by its i18n key, so any front end can word it in their language
    (`error_message`); `str()` gives the English sentence for logs and the CLI."""

    def __init__(self, key: str, **values):
        super().__init__(text(key, "en", **values))
        self.key = key  # an entry of STRINGS, e.g. "error.image.empty"
        self.values = values  # what fills the entry's {fields}

    def __reduce__(self):
        # Pickling (process pools, remote workers) must rebuild from the key, not the English sentence.
        return _rebuild_user_error, (type(self), self.key, self.values)


def _rebuild_user_error(kind: type[UserError], key: str, values: dict) -> UserError:
    return kind(key, **values)


def error_message(error: BaseException, language: str = "en") -> str:
    """The one sentence a person sees for `error`: translated when it is a `UserError`; any other
    error's own message in English and a generic sentence in other languages (never a traceback)."""
    if isinstance(error, UserError):
        return text(error.key, language, **error.values)
    return str(error) if language == "en" and str(error) else text("error.generic", language)


# Latin-script words a Chinese page may show: model, method and format names, colormaps, units. Checked
# on every lesson view by the tests (at most 30 entries); anything else in Latin script is untranslated.
CHINESE_ALLOWLIST = frozenset({
    "cnnattn", "efficientnet_lite0", "EfficientNet-Lite0", "ImageNet", "Grad-CAM", "Spearman", "softmax",
    "SimpleAttention", "SelfAttention", "logit", "exp", "ReLU", "GPU", "MB", "JPEG", "PNG", "WEBP", "GIF", "BMP",
    "TIFF", "JSON", "npy", "inferno", "viridis", "cividis", "magma", "plasma", "turbo", "gray", "iPod",
})  # fmt: skip
_LATEX = re.compile(r"\$\$.*?\$\$|\$[^$]*\$", re.DOTALL)
_HTML_TAG = re.compile(r"</?(?:details|summary)>")  # markup of the "exact numbers" blocks, never shown
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*")


def untranslated_words(shown: str, allowed: frozenset[str] = CHINESE_ALLOWLIST) -> list[str]:
    """Latin-script words of two or more letters in `shown`, outside LaTeX formulas, HTML tags and `allowed`:
    what a Chinese page must not contain. Single letters are maths (T, H, k, x)."""
    allowed = {word.lower() for word in allowed}  # "JSON" also allows the file suffix ".json"
    words = _WORD.findall(_LATEX.sub(" ", _HTML_TAG.sub(" ", shown)))
    return [word for word in words if sum(c.isalpha() for c in word) > 1 and word.lower() not in allowed]
