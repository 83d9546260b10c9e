"""README.md and README.zh-CN.md give the same commands (issue 22).

The Chinese README translates the English one's prose, never its commands: both files are read and
compared here, nothing is copied into the test, so a command changed in README.md fails this test until
README.zh-CN.md follows. Sections are matched by their titles' beginnings; code blocks (fenced or
indented) are parsed as CommonMark, as GitHub renders them.
"""

import io
import tokenize
from pathlib import Path

from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parents[1]
EN, ZH = ROOT / "README.md", ROOT / "README.zh-CN.md"
# The English section's title -> the Chinese README's title for it (each matched at the title's start).
SECTIONS = {"Two commands, on a fresh machine": "在新机器上：两条命令", "Python API": "Python API"}
PYTHON = {"python", "py", "pycon"}


def code_blocks(path: Path) -> list[tuple[str, str, str]]:
    """(title of the enclosing `##` section, language, code) for every code block, in order."""
    tokens = MarkdownIt("commonmark").parse(path.read_text(encoding="utf-8"))
    section, blocks = "", []
    for i, token in enumerate(tokens):
        if token.type == "heading_open" and token.tag == "h2":
            section = tokens[i + 1].content.strip()
        elif token.type in ("fence", "code_block"):
            language = token.info.strip().split(" ")[0].lower() if token.type == "fence" else ""
            blocks.append((section, "python" if language in PYTHON else "shell", token.content.strip()))
    return blocks


def in_section(blocks: list[tuple[str, str, str]], title: str, kind: str) -> list[str]:
    return [code for section, language, code in blocks if section.startswith(title) and language == kind]


def shell_lines(blocks: list[tuple[str, str, str]]) -> list[str]:
    return [line.strip() for _, language, code in blocks if language == "shell" for line in code.splitlines()]


def without_comments(code: str) -> list[tuple[int, str]]:
    """Python tokens but comments and blank lines: the Chinese README translates the comments only."""
    skip = {tokenize.COMMENT, tokenize.NL}
    return [(t.type, t.string) for t in tokenize.generate_tokens(io.StringIO(code).readline) if t.type not in skip]


def test_each_readme_links_to_the_other_in_its_first_lines():
    assert "](README.zh-CN.md)" in "".join(EN.read_text(encoding="utf-8").splitlines(keepends=True)[:5])
    assert "](README.md)" in "".join(ZH.read_text(encoding="utf-8").splitlines(keepends=True)[:5])


def test_both_readmes_have_the_matched_sections():
    for path, titles in ((EN, SECTIONS), (ZH, SECTIONS.values())):
        tokens = MarkdownIt("commonmark").parse(path.read_text(encoding="utf-8"))
        found = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open" and t.tag == "h2"]
        for title in titles:
            assert any(heading.startswith(title) for heading in found), f"{path.name}: no section '{title}...'"


def test_the_fresh_machine_commands_are_the_same():
    english, chinese = code_blocks(EN), code_blocks(ZH)
    for en_title, zh_title in SECTIONS.items():
        en_commands, zh_commands = in_section(english, en_title, "shell"), in_section(chinese, zh_title, "shell")
        assert zh_commands == en_commands, f"'{en_title}' and '{zh_title}' give different commands"
    assert in_section(english, "Two commands, on a fresh machine", "shell"), "README.md's two commands not found"


def test_the_python_api_is_the_same_code():
    english, chinese = code_blocks(EN), code_blocks(ZH)
    en_code, zh_code = in_section(english, "Python API", "python"), in_section(chinese, "Python API", "python")
    assert en_code and len(zh_code) == len(en_code)
    for en, zh in zip(en_code, zh_code, strict=True):
        assert without_comments(zh) == without_comments(en), f"the Python API example differs:\n{zh}\n---\n{en}"


def test_every_command_of_the_chinese_readme_is_one_of_the_english_readmes():
    english = set(shell_lines(code_blocks(EN)))
    extra = [line for line in shell_lines(code_blocks(ZH)) if line and line not in english]
    assert extra == [], "README.zh-CN.md gives commands README.md does not"
