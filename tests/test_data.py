import re

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


def test_a_header_of_no_known_format_names_the_columns_looked_for(tmp_path):
    path = write(tmp_path, "Name,Colour\nRed,FF0000\n")
    message = (
        f"{path}, line 1: the header names none of the sets of columns read; it looks for "
        "'Color Name' and 'R;G;B Dec', or 'name', 'r', 'g' and 'b', or 'name' and 'hex', "
        "and found ['Name', 'Colour']."
    )
    with pytest.raises(ColourFileError) as error:
        read_colour_csv(path)
    assert str(error.value) == message


CORAL_NAVY = [[1.0, 127 / 255, 80 / 255], [0.0, 0.0, 128 / 255]]


@pytest.mark.parametrize(
    "text",
    [
        "name,hex\ncoral,#ff7f50\nnavy,000080\n",
        " Name , HEX ,note\ncoral,#FF7F50,x\nnavy,#000080,y\n",  # case, spaces, other columns
        "name,r,g,b\ncoral,255,127,80\nnavy,0,0,128\n",
        "name,r,g,b\ncoral,255.0,127,80\nnavy,0,0,128.0\n",
        f"name,r,g,b\ncoral,1,{127 / 255!r},{80 / 255!r}\nnavy,0,0,{128 / 255!r}\n",
        # r, g, b win over hex: here the hex codes are wrong.
        "name,hex,r,g,b\ncoral,#000000,255,127,80\nnavy,#ffffff,0,0,128\n",
    ],
)
def test_name_hex_and_name_rgb_files_give_the_same_colours(tmp_path, text):
    names, rgb = read_colour_csv(write(tmp_path, text))
    assert names == ["coral", "navy"]
    np.testing.assert_allclose(rgb, CORAL_NAVY)


def test_short_hex_codes_are_doubled_as_in_css(tmp_path):
    names, rgb = read_colour_csv(write(tmp_path, "name,hex\nred,#f00\nsilverish,ccc\n"))
    np.testing.assert_allclose(rgb * 255, [[255, 0, 0], [204, 204, 204]])


def test_values_all_from_0_to_1_are_read_as_0_to_1(tmp_path):
    # Nothing above 1, so not 0 to 255: black and white, not two near-blacks.
    names, rgb = read_colour_csv(write(tmp_path, "name,r,g,b\nwhite,1,1,1\nblack,0,0,0\n"))
    np.testing.assert_array_equal(rgb, [[1, 1, 1], [0, 0, 0]])


def test_load_colours_reads_a_name_rgb_file(tmp_path):
    path = write(tmp_path, "name,r,g,b\ncoral,255,127,80\nnavy,0,0,128\n")
    X, y = load_colours(path, return_X_y=True)
    assert X["name"].tolist() == ["coral", "navy"] and list(y.columns) == ["r", "g", "b"]
    np.testing.assert_allclose(y.to_numpy(), CORAL_NAVY)


@pytest.mark.parametrize(
    "body, message",
    [
        (
            "red,255,0,0\ngrey,127.5,127,127\n",
            re.escape(
                "line 3, column 'r': found '127.5', but r, g, b must be integers from 0 to 255 "
                "here: the file holds a value above 1, first at line 2, column 'r' ('255')"
            ),
        ),
        (
            "grey,128,128,128\nred,256,0,0\n",
            re.escape(
                "line 3, column 'r': found '256', but r, g, b must be integers from 0 to 255 "
                "here: the file holds a value above 1, first at line 2, column 'r' ('128')"
            ),
        ),
        ("red,1,0,-0.1\n", "line 2, column 'b': expected a number from 0 to 1, or an integer"),
        ("red,1,x,0\n", "line 2, column 'g': expected a number from 0 to 1, .* found 'x'"),
        ("red,1,nan,0\n", "line 2, column 'g': .* found 'nan'"),
        ("red,inf,0,0\n", "line 2, column 'r': .* found 'inf'"),
        ("red,1,,0\n", "line 2, column 'g': .* found ''"),
    ],
)
def test_bad_channels_name_line_column_and_scale(tmp_path, body, message):
    path = write(tmp_path, "name,r,g,b\n" + body)
    with pytest.raises(ColourFileError, match=message) as error:
        read_colour_csv(path)
    assert str(error.value).startswith(f"{path}, line ")


@pytest.mark.parametrize("cell", ["#ff00", "red", "#gg0000", "#ff00001", ""])
def test_bad_hex_codes_name_line_and_column(tmp_path, cell):
    path = write(tmp_path, f"name,hex\nred,#ff0000\nbad,{cell}\n")
    with pytest.raises(
        ColourFileError, match=rf"{path}, line 3, column 'hex': expected a colour as #rrggbb"
    ):
        read_colour_csv(path)


def test_rows_without_a_name_are_dropped_naming_the_files_column(tmp_path):
    path = write(tmp_path, "Name,hex\nred,#ff0000\n ,#000000\n")
    message = r"dropped 1 row\(s\) with an empty 'Name', on line\(s\) 3"
    with pytest.warns(UserWarning, match=message):
        names, _ = read_colour_csv(path)
    assert names == ["red"]


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
