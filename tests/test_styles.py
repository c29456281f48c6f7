"""Dance styles: choosing one (by name or `auto`), the model's style input, and the CLI."""

from __future__ import annotations

import numpy as np
import pytest

import dance
from dance.analysis import analyse
from dance.audio import SAMPLE_RATE
from dance.cli import main
from dance.errors import InputError, StyleError
from dance.styles import (
    AUTO,
    STYLE_DESCRIPTIONS,
    auto_style,
    check_style,
    is_triple,
    style_columns,
)

from .conftest import STYLES


def accented_clicks(seconds: float, bpm: float, bar: int) -> np.ndarray:
    """Clicks on every beat, the first of every `bar` beats three times as loud."""
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    y = 0.02 * np.sin(2 * np.pi * 196 * t)
    for k, beat in enumerate(np.arange(0.1, seconds, 60 / bpm)):
        i = int(beat * SAMPLE_RATE)
        n = min(int(0.05 * SAMPLE_RATE), y.size - i)
        gain = 0.9 if k % bar == 0 else 0.3
        y[i : i + n] += gain * np.exp(-np.arange(n) / 300) * np.sin(np.arange(n) * 0.4)
    return y.astype(np.float32)


def test_every_style_has_words() -> None:
    for style in ("waltz", "tango", "chacha", "rumba", "modern", "street"):
        assert len(STYLE_DESCRIPTIONS[style].split()) >= 4


def test_check_style() -> None:
    assert check_style("Waltz ", STYLES) == "waltz"
    assert check_style("AUTO", STYLES) == AUTO
    assert check_style(AUTO, ()) == AUTO
    with pytest.raises(StyleError, match="unknown style 'polka'; choose from: auto, waltz"):
        check_style("polka", STYLES)
    with pytest.raises(StyleError, match="trained without styles"):
        check_style("waltz", ())
    with pytest.raises(StyleError):
        check_style(3, STYLES)  # type: ignore[arg-type]
    assert issubclass(StyleError, InputError) and StyleError.exit_code == 2


def test_style_columns_are_one_hot() -> None:
    cols = style_columns(STYLES, "rumba", 7)
    assert cols.shape == (7, 3) and cols.dtype == np.float32
    np.testing.assert_array_equal(cols, np.tile([0, 1, 0], (7, 1)))


@pytest.mark.parametrize(
    ("bar", "bpm", "style"), [(3, 150, "waltz"), (4, 130, "street"), (4, 90, "rumba")]
)
def test_auto_rule_hears_metre_and_tempo(bar: int, bpm: float, style: str) -> None:
    music = analyse(accented_clicks(20.0, bpm, bar))
    assert is_triple(music.onset_envelope, music.beat_times, music.feature_rate) == (bar == 3)
    choice = auto_style(
        music.tempo_bpm, music.beat_times, music.onset_envelope, music.feature_rate, STYLES
    )
    assert choice.style == style, choice
    # A pick the generator lacks falls back to its first style.
    fallback = auto_style(
        music.tempo_bpm, music.beat_times, music.onset_envelope, music.feature_rate, ("modern",)
    )
    assert fallback.style == "modern"


def test_same_style_and_seed_same_dance_other_style_other_dance(styled_model, song_4s) -> None:
    a = dance.generate(styled_model, song_4s, seed=3, style="street")
    b = dance.generate(styled_model, song_4s, seed=3, style="street")
    c = dance.generate(styled_model, song_4s, seed=3, style="waltz")
    assert a.style == "street" and c.style == "waltz"
    np.testing.assert_array_equal(a.keypoints, b.keypoints)
    assert np.abs(a.keypoints - c.keypoints).mean() > 1e-3


def test_auto_picks_one_of_the_models_styles(styled_model, song_4s) -> None:
    result = dance.generate(styled_model, song_4s, seed=0)
    assert result.style in STYLES


def test_unknown_style_fails_before_decoding(styled_model, tmp_path) -> None:
    with pytest.raises(StyleError, match="polka"):
        dance.generate(styled_model, tmp_path / "missing.mp3", style="polka")


def test_model_without_styles_dances_auto_only(tiny_model, song_4s) -> None:
    assert dance.generate(tiny_model, song_4s, seed=0).style == ""
    with pytest.raises(StyleError, match="without styles"):
        dance.generate(tiny_model, song_4s, style="waltz")


def test_cli_styles_lists_one_a_line(capsys, styled_checkpoint) -> None:
    assert main(["styles", "--checkpoint", str(styled_checkpoint)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == ["auto", *STYLES]
    assert all(len(line.split()) > 4 for line in lines)


def test_cli_generate_with_style(capsys, tmp_path, song_4s, styled_checkpoint) -> None:
    out = tmp_path / "d.mp4"
    npz = tmp_path / "d.npz"
    args = ["generate", song_4s, "-o", out, "--npz", npz, "--checkpoint", styled_checkpoint]
    assert main([str(a) for a in [*args, "--style", "rumba"]]) == 0
    assert "style rumba" in capsys.readouterr().out
    assert out.is_file() and dance.probe(out).has_audio


def test_cli_unknown_style_is_exit_code_2_and_writes_nothing(
    capsys, tmp_path, song_4s, styled_checkpoint
) -> None:
    out = tmp_path / "d.mp4"
    code = main(
        [
            "generate",
            str(song_4s),
            "-o",
            str(out),
            "--style",
            "polka",
            "--checkpoint",
            str(styled_checkpoint),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2, err
    assert "Traceback" not in err and "unknown style 'polka'" in err and "street" in err
    assert not out.exists() and not list(tmp_path.iterdir())
