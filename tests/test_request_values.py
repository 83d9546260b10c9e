"""Every value a download request carries is checked before any work (issue 21, item 5): temperatures inside
their sliders' range and finite, sane lengths; refused with one sentence in the visitor's language, and the
weights.json that comes back is always strict JSON. At e38ecb9 temperature 1e-300 or Infinity gave NaN maps
and `NaN` in weights.json.
"""

import json
from pathlib import Path

import pytest
from gradio_client import Client, handle_file

from cnnattn.heads import ClassMap, Head
from cnnattn.webapp.downloads import ViewSettings


@pytest.fixture(scope="module")
def client(app_url):
    return Client(app_url, verbose=False)


BAD = {
    "tiny temperature": '{"temperature": 1e-300}',
    "infinite temperature": '{"temperature": Infinity}',
    "NaN class temperature": '{"class_temperature": NaN}',
    "class temperature above its slider": json.dumps({"class_temperature": ClassMap.temperature_range[1] * 2}),
    "temperature below its slider": json.dumps({"temperature": Head.temperature_range[0] / 2}),
    "a head id of 10 000 characters": json.dumps({"head": "x" * 10_000}),
    "100 KB of settings": json.dumps({"colormap": "inferno", "padding": "x" * 100_000}),
}


@pytest.mark.parametrize("name", BAD)
def test_out_of_range_values_are_one_sentence_in_each_language(client, example_photos, name):
    photo = handle_file(str(example_photos["cheetah"]))
    with pytest.raises(Exception, match="settings could not be read"):
        client.predict(photo, BAD[name], api_name="/explain_download")
    with pytest.raises(Exception, match="无法读取视图的设置"):
        client.predict(photo, BAD[name], language="zh", api_name="/explain_download")


def strict_json(text: str):
    def refuse(constant):
        raise ValueError(f"{constant} is not JSON")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("edge", ["low", "high"])
def test_the_sliders_ends_answer_with_strict_json(client, example_photos, edge):
    end = 0 if edge == "low" else 1
    settings = {"temperature": Head.temperature_range[end], "class_temperature": ClassMap.temperature_range[end]}
    files = client.predict(handle_file(str(example_photos["lion"])), json.dumps(settings), api_name="/explain_download")
    record = strict_json(Path(next(f for f in files if f.endswith("weights.json"))).read_text())
    assert record["settings"]["temperature"] == settings["temperature"]
    for entry in record["maps"]:
        assert abs(sum(map(sum, entry["weights"])) - 1.0) < 1e-4  # finite weights that still sum to 1


def test_settings_inside_the_ranges_parse():
    settings = ViewSettings.from_json(json.dumps({"temperature": 2.5, "class_temperature": 8.0, "head": "simple/0"}))
    assert (settings.temperature, settings.class_temperature, settings.head) == (2.5, 8.0, "simple/0")
