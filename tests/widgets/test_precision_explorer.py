"""The precision panel: the slider, the sign and the number box drive one value, and the table shows what
float32, bfloat16 and float16 store (torch-free; the bfloat16 emulation is held to torch in test_precision)."""

import numpy as np
import pytest

from companion.np.precision import format_info
from companion.widgets import PrecisionExplorer
from companion.widgets.precision_explorer import precision_rows, precision_table


def test_rows_round_and_classify_per_format():
    rows = {fmt: (stored, err, what) for fmt, stored, err, what in precision_rows(1e5)}
    assert rows["float32"] == (1e5, 0.0, "exact")
    assert rows["float16"][2] == "overflow" and np.isinf(rows["float16"][0])
    assert rows["bfloat16"][0] == 99840.0 and rows["bfloat16"][2] == "rounded"       # 8 significant bits
    assert abs(rows["bfloat16"][1] - 160 / 1e5) < 1e-12
    tiny = {fmt: what for fmt, _, _, what in precision_rows(1e-9)}
    assert tiny == {"float32": "rounded", "bfloat16": "rounded", "float16": "underflow"}
    assert {fmt: what for fmt, _, _, what in precision_rows(1e-6)}["float16"] == "subnormal"


def test_relative_error_is_within_half_an_epsilon_for_normal_numbers():
    for value in np.geomspace(1e-3, 1e4, 50):
        for fmt, _, err, _ in precision_rows(value):
            assert err <= format_info(fmt)["eps"] / 2 + 1e-15


def test_table_has_one_row_per_value_and_format():
    table = precision_table([0.1, 70000.0])
    assert len(table) == 6 and table[0][:2] == (0.1, "float32") and table[-1][1] == "float16"


def test_slider_sign_and_box_drive_the_same_value():
    panel = PrecisionExplorer(value=0.1)
    assert "0.1" in panel.table.value and panel.rows == precision_rows(0.1)
    panel.magnitude.value = 5.0
    assert panel.value == pytest.approx(1e5) and panel.number.value == pytest.approx(1e5)
    assert "overflow" in panel.table.value
    panel.negative.value = True
    assert panel.value == pytest.approx(-1e5)
    panel.number.value = 3.0
    assert panel.magnitude.value == pytest.approx(np.log10(3.0), abs=0.01) and panel.negative.value is False
    assert panel.rows == precision_rows(3.0) and "exact" in panel.table.value


@pytest.mark.parametrize("bad", [0.0, float("nan"), float("inf")])
def test_zero_or_non_finite_start_is_refused(bad):
    with pytest.raises(ValueError, match="finite nonzero"):
        PrecisionExplorer(value=bad)
