import numpy as np
import pandas as pd
import pytest
from matplotlib import colors as mcolors

from sk_colour_embed import ColourFileError, load_colours, read_colour_csv

HEADER = "Color Name,Credits,R;G;B Dec,RGB Hex,CSS Hex,BG/FG color sample \n"


@pytest.mark.parametrize("source, n_rows", [("xkcd", 949), ("css4", 148)])
def test_builtin_sources_match_matplotlib(source, n_rows):
    colours = load_colours(source)
    assert colours.data.shape == (n_rows, 1)
    assert list(colours.target.columns) == ["r", "g", "b"]
    assert colours.frame.shape == (n_rows, 4)
    assert colours.target.to_numpy().min() >= 0 and colours.target.to_numpy().max() <= 1
    first = colours.frame.iloc[0]
    prefix = "xkcd:" if source == "xkcd" else ""
    expected = mcolors.to_rgb(prefix + first["name"])
    np.testing.assert_allclose(first[["r", "g", "b"]].to_numpy(float), expected)
    assert not colours.data["name"].str.startswith("xkcd:").any()
    assert source in colours.DESCR


def test_return_X_y_gives_data_and_target():
    X, y = load_colours("css4", return_X_y=True)
    bunch = load_colours("css4")
    pd.testing.assert_frame_equal(X, bunch.data)
    pd.testing.assert_frame_equal(y, bunch.target)


def test_kaggle_csv_quirks(kaggle_csv):
    with pytest.warns(
        UserWarning, match=r"dropped 2 row\(s\) with an empty 'Color Name', on line\(s\) 6, 14"
    ) as record:
        X, y = load_colours(kaggle_csv, return_X_y=True)
    assert record[0].filename == __file__  # the warning points at the caller
    names = X["name"].tolist()
    assert len(names) == 12
    assert "Grey, Silver" in names
    assert names.count("coral") == 2 and names.count("Black") == 2
    coral = y[X["name"] == "coral"].to_numpy() * 255
    np.testing.assert_allclose(coral, [[255, 127, 80], [255, 127, 0]])
    # The mangled hex cell is ignored; R;G;B Dec is authoritative.
    teal = y[X["name"] == "Teal Green"].to_numpy()[0] * 255
    np.testing.assert_allclose(teal, [0, 65, 112])


def write(tmp_path, text):
    path = tmp_path / "colours.csv"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    "body, message",
    [
        ("Red,Web,255;0,FF0000,#F00,x\n", r"line 2, column 'R;G;B Dec': .*found '255;0'"),
        (
            "Red,Web,255;0;0,FF0000,#F00,x\nBlue,Web,0;0;256,0000FF,#00F,x\n",
            r"line 3, column 'R;G;B Dec'.*'0;0;256'",
        ),
        ("Red,Web,255;a;0,FF0000,#F00,x\n", r"line 2, column 'R;G;B Dec'"),
        ("Red,Web,255;0;0,FF0000\n", r"line 2: expected 6 fields as in the header, found 4"),
    ],
)
def test_malformed_rows_name_file_line_and_column(tmp_path, body, message):
    path = write(tmp_path, HEADER + body)
    with pytest.raises(ColourFileError, match=message) as error:
        read_colour_csv(path)
    assert str(path) in str(error.value)


def test_missing_column_names_the_header(tmp_path):
    path = write(tmp_path, "Name,Hex\nRed,FF0000\n")
    with pytest.raises(
        ColourFileError, match=r"line 1: the header has no column 'Color Name' or 'R;G;B Dec'"
    ):
        read_colour_csv(path)


def test_file_without_colours_is_an_error(tmp_path):
    with pytest.raises(ColourFileError, match="no colour rows"):
        read_colour_csv(write(tmp_path, HEADER))


def test_unknown_source_is_an_error(tmp_path):
    with pytest.raises(
        FileNotFoundError, match=r"source='xkdc' is neither one of \['css4', 'xkcd'\]"
    ):
        load_colours("xkdc")
    with pytest.raises(TypeError, match="source must be"):
        load_colours(3)
