"""Every user-facing string of the web app and the lesson text, in English and Simplified Chinese.

`text(key, language, **values)` formats one entry. Class names live in `cnnattn.labels`.
LaTeX sits between $...$ (inline) or $$...$$ (display); backslashes are raw-string escaped.
"""

from __future__ import annotations

from cnnattn.labels import LANGUAGES

LANGUAGE_CHOICES = [("English", "en"), ("中文", "zh")]

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        # Page and Explore tab.
        "language": "Language / 语言",
        "tab.explore": "Explore",
        "tab.lesson": "Lesson",
        "explore.intro": (
            "# cnnattn\nUpload a photo. A pretrained CNN (`{backbone}`) classifies it and its attention heads show, "
            "as heatmaps, the softmax weights they give to every position. Click the photo to move the "
            "SelfAttention query."
        ),
        "explore.photo": "Photo",
        "explore.run": "Explain",
        "explore.class": "Class for the class map",
        "explore.query_x": "Query x (click the photo)",
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
        "self.layer": "Layer **{layer}**: a {h} × {w} grid, one cell per {stride} × {stride} input pixels.",
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
        "lesson.query_x": "Query x (click the photo or a table cell)",
        "lesson.query_y": "Query y",
        "lesson.colormap": "Colormap",
        "lesson.opacity": "Opacity",
        "lesson.shared_scale": "One absolute colour scale for both maps",
        "lesson.share": "Share of mass inside the contour",
        "lesson.top_k": "k for the top-k mass",
        "lesson.link": "Link to this view (copy it)",
        "lesson.step1_image": "Step 1: scores",
        "lesson.step2_image": "Step 2: weights (contour: smallest region with {share:.0%} of the mass)",
        "lesson.scores_table": "Step 1 numbers: scores on the grid (click a cell)",
        "lesson.weights_table": "Step 2 numbers: weights on the grid, they sum to 1 (click a cell)",
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
        "pool.formula": (
            r"$$s_p = w^\top x_p + b \qquad a_p = \frac{e^{s_p/T}}{\sum_q e^{s_q/T}} \qquad z = \sum_p a_p\, x_p$$"
        ),
        "pool.head.class": (
            "The **class map** uses the classifier's own row for **{label}** as the 1×1 convolution, so it needs no "
            "training: the score of a position is its evidence for {label}."
        ),
        "pool.head.simple": "A trained **SimpleAttention** head (`{head}`): its 1×1 convolution was learned.",
        "pool.head.generic": "The head `{head}` scores every position; a softmax over all positions makes the weights.",
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
            "**Step 3: the weighted sum is what the classifier sees.** $z = \\sum_p a_p x_p$ is one vector of {c} "
            "numbers: an average of the positions, weighted by attention. Plain average pooling gives every "
            "position the same 1/{n}. Fed to the same classifier, attention pooling gives **{label}** "
            "{attention:.1%} where average pooling gives {average:.1%}."
        ),
        "pool.cell": (
            "**Cell (row {row}, col {col}):** score $s = {score:.3f}$, weight "
            "$a = e^{{s/T}} / \\sum_q e^{{s_q/T}} = {weight:.4f}$, which is {ratio:.2f} × the uniform weight 1/{n}."
        ),
        # Lesson text: self-attention heads.
        "self.formula": (
            r"$$a_{ij} = \mathrm{softmax}_j\Big(\frac{q_i \cdot k_j}{\sqrt{d_k}} \Big/ T\Big) \qquad "
            r"o_i = \sum_j a_{ij}\, v_j$$"
        ),
        "self.head.feature_self": (
            "The simplest SelfAttention, with nothing learned: **Q = K = V = x**, the "
            "backbone's own features ($d_k$ = {d}). A query then looks at the positions whose features resemble "
            "its own."
        ),
        "self.head.self": "A trained **SelfAttention** head (`{head}`) with learned 1×1 projections Q, K and V.",
        "self.head.generic": (
            "The head `{head}` compares a query cell with every cell; a softmax over the row makes the weights."
        ),
        "self.step1": (
            "**Step 1: compare the query with every key.** The query is cell i = (row {row}, col {col}), the ring on "
            "the photo; click another cell to move it. Its query vector $q_i$ is compared with the key $k_j$ of "
            "every cell j by a dot product, large where the two match. The dot products run from {low:.1f} to "
            "{high:.1f}."
        ),
        "self.step2": (
            "**Step 2: scale by $1/\\sqrt{{d_k}}$, then softmax.** With $d_k$ = {d}, $\\sqrt{{d_k}}$ = {root:.2f}. "
            "Dot products of long vectors grow with their length; dividing keeps the softmax from picking a single "
            "cell. The scaled scores run from {low:.2f} to {high:.2f}. The softmax with temperature T = {t:g} "
            "turns this row into weights that sum to 1 (here {total:.4f}); the largest is {top:.4f}."
        ),
        "self.step3": (
            "**Step 3: mix the values.** The output for the query is $o_i = \\sum_j a_{{ij}} v_j$. Its cosine "
            "similarity with the query's own value $v_i$ is {cosine:.3f} (1 would mean it only looked at itself)."
        ),
        "self.cell": (
            "**Cell j = (row {row}, col {col}):** $q_i \\cdot k_j = {dot:.2f}$, scaled {scaled:.3f}, "
            "weight {weight:.4f}."
        ),
        # Readouts and comparisons.
        "readout": (
            "**Entropy** H = {entropy:.3f} nats · **effective positions** exp(H) = {effective:.1f} of {n} · "
            "**top-{k} mass** {mass:.1%} · the contour holds {share:.0%} of the mass in {cells} positions.\n\n"
            "*{summary}*"
        ),
        "gradcam.agreement": (
            "**Agreement with Grad-CAM for {label}:** Spearman rank correlation {rho:.2f}, "
            "top-{k} overlap {overlap:.0%}. Grad-CAM asks the gradients after the fact; the head's weights are "
            "what the model actually used."
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
        "error.no_photo": "Upload a photo, pick an example or freeze a webcam frame first.",
        "error.expired": "This photo is no longer cached on the server; please upload it again.",
        "error.no_frame": "Start the webcam first, then freeze a frame.",
    },
    "zh": {
        "language": "Language / 语言",
        "tab.explore": "探索",
        "tab.lesson": "课堂",
        "explore.intro": (
            "# cnnattn\n上传一张照片。预训练的卷积神经网络（`{backbone}`）对它分类，注意力头把它们给每个位置的 "
            "softmax 权重画成热力图。点击照片可以移动 SelfAttention 的查询位置。"
        ),
        "explore.photo": "照片",
        "explore.run": "解释",
        "explore.class": "类别图所用的类别",
        "explore.query_x": "查询 x（点击照片）",
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
        "self.layer": "层 **{layer}**：{h} × {w} 的网格，每格对应 {stride} × {stride} 个输入像素。",
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
        "lesson.query_x": "查询 x（点击照片或表格中的格子）",
        "lesson.query_y": "查询 y",
        "lesson.colormap": "色图",
        "lesson.opacity": "不透明度",
        "lesson.shared_scale": "两张图使用同一个绝对色标",
        "lesson.share": "轮廓内包含的权重比例",
        "lesson.top_k": "前 k 个位置的 k",
        "lesson.link": "当前视图的链接（可复制）",
        "lesson.step1_image": "第 1 步：得分",
        "lesson.step2_image": "第 2 步：权重（轮廓：包含 {share:.0%} 权重的最小区域）",
        "lesson.scores_table": "第 1 步的数字：网格上的得分（可点击格子）",
        "lesson.weights_table": "第 2 步的数字：网格上的权重，总和为 1（可点击格子）",
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
        "pool.formula": (
            r"$$s_p = w^\top x_p + b \qquad a_p = \frac{e^{s_p/T}}{\sum_q e^{s_q/T}} \qquad z = \sum_p a_p\, x_p$$"
        ),
        "pool.head.class": (
            "**类别图**直接用分类器中 **{label}** 那一行作为 1×1 卷积，因此不需要训练：一个位置的得分就是它支持"
            "“{label}”的证据。"
        ),
        "pool.head.simple": "一个训练过的 **SimpleAttention** 注意力头（`{head}`）：它的 1×1 卷积是学出来的。",
        "pool.head.generic": "注意力头 `{head}` 给每个位置打分；对所有位置做 softmax 得到权重。",
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
            "**第 3 步：加权求和就是分类器看到的特征。** $z = \\sum_p a_p x_p$ 是一个含 {c} 个数的向量：按注意力"
            "加权的各位置平均。普通的平均池化给每个位置相同的 1/{n}。送入同一个分类器后，注意力池化给"
            "“**{label}**”的概率是 {attention:.1%}，平均池化是 {average:.1%}。"
        ),
        "pool.cell": (
            "**格子（第 {row} 行，第 {col} 列）：** 得分 $s = {score:.3f}$，权重 "
            "$a = e^{{s/T}} / \\sum_q e^{{s_q/T}} = {weight:.4f}$，是均匀权重 1/{n} 的 {ratio:.2f} 倍。"
        ),
        "self.formula": (
            r"$$a_{ij} = \mathrm{softmax}_j\Big(\frac{q_i \cdot k_j}{\sqrt{d_k}} \Big/ T\Big) \qquad "
            r"o_i = \sum_j a_{ij}\, v_j$$"
        ),
        "self.head.feature_self": (
            "最简单的 SelfAttention，没有任何需要学习的参数：**Q = K = V = x**，即骨干网络"
            "自己的特征（$d_k$ = {d}）。这样，查询位置会关注那些特征和自己相似的位置。"
        ),
        "self.head.self": "一个训练过的 **SelfAttention** 注意力头（`{head}`），Q、K、V 都是学出来的 1×1 投影。",
        "self.head.generic": "注意力头 `{head}` 把查询格子和每个格子比较；对这一行做 softmax 得到权重。",
        "self.step1": (
            "**第 1 步：用查询和每个键比较。** 查询是格子 i =（第 {row} 行，第 {col} 列），即照片上的圆圈；点击别的"
            "格子可以移动它。它的查询向量 $q_i$ 与每个格子 j 的键 $k_j$ 做点积，两者越匹配点积越大。点积从 {low:.1f} "
            "到 {high:.1f}。"
        ),
        "self.step2": (
            "**第 2 步：乘以 $1/\\sqrt{{d_k}}$，再做 softmax。** 这里 $d_k$ = {d}，$\\sqrt{{d_k}}$ = {root:.2f}。"
            "长向量的点积会随长度变大；除以它可以避免 softmax 只挑出一个格子。缩放后的得分从 {low:.2f} 到 "
            "{high:.2f}。温度 T = {t:g} 的 softmax 把这一行变成总和为 1 的权重（这里是 {total:.4f}），"
            "最大的是 {top:.4f}。"
        ),
        "self.step3": (
            "**第 3 步：混合各个值向量。** 查询的输出是 $o_i = \\sum_j a_{{ij}} v_j$。它与查询自己的值向量 $v_i$ 的"
            "余弦相似度是 {cosine:.3f}（等于 1 表示它只看了自己）。"
        ),
        "self.cell": (
            "**格子 j =（第 {row} 行，第 {col} 列）：** $q_i \\cdot k_j = {dot:.2f}$，缩放后 {scaled:.3f}，"
            "权重 {weight:.4f}。"
        ),
        "readout": (
            "**熵** H = {entropy:.3f} 奈特 · **有效位置数** exp(H) = {effective:.1f}（共 {n} 个）· "
            "**前 {k} 个位置的权重** {mass:.1%} · 轮廓内的 {cells} 个位置包含 {share:.0%} 的权重。\n\n*{summary}*"
        ),
        "gradcam.agreement": (
            "**与“{label}”的 Grad-CAM 的一致性：** Spearman 秩相关 {rho:.2f}，前 {k} 个位置重合 {overlap:.0%}。"
            "Grad-CAM 是事后用梯度推断的；注意力头的权重则是模型实际使用的。"
        ),
        "sanity.result": (
            "**合理性检验：** 换成同样尺度的随机权重后，新图与原图的秩相关是 {rho:.2f}。真正解释网络的图，在权重"
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
