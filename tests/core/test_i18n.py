from __future__ import annotations

from django.utils import translation

from gongdan.core.i18n import pick, picker


def test_a_picker_chooses_as_pick_does_in_the_language_it_was_made_in() -> None:
    with translation.override("en"):
        english = picker()
        assert english("维修", "Repair") == pick("维修", "Repair") == "Repair"
        # No English text: the Chinese stands in.
        assert english("维修", "") == pick("维修", "") == "维修"
    with translation.override("zh-hans"):
        chinese = picker()
        assert chinese("维修", "Repair") == pick("维修", "Repair") == "维修"
        # Made once for a page: a language switched later does not change it.
        with translation.override("en"):
            assert chinese("维修", "Repair") == "维修"
