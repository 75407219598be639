"""Model cards and the README's generated tables are committed; they must equal what the specs produce now."""

from ml_models.cards import expected_files, render_card
from ml_models.spec import all_specs, input_schema


def test_committed_cards_and_readme_tables_match_the_specs():
    stale = [str(path) for path, text in expected_files().items()
             if not path.exists() or path.read_text(encoding="utf-8") != text]
    assert not stale, f"run `python -m ml_models.cards`: stale {stale}"


def test_cards_state_source_bands_and_examples():
    for spec in all_specs():
        card = render_card(spec)
        assert spec.raw["citation"] in card and spec.raw["applicability_note_zh"] in card
        if spec.kind != "screening":
            for band in spec.bands:
                assert band.label_zh in card
            for feature in spec.scoring:
                assert f"`{feature.key}`" in card and f"[{feature.confidence}]" in card
            assert "Worked examples" in card


def test_readme_documents_every_input_field():
    readme = next(text for path, text in expected_files().items() if path.name == "README.md")
    for name in input_schema():
        assert f"| `{name}` (" in readme, name
