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


def test_bad_rows_are_skipped_counted_and_named_when_asked(tmp_path, kaggle_csv):
    body = (
        "red,#ff0000\n"
        "navy,#00008\n"  # five digits
        "teal,#008080,extra\n"  # a field too many
        "pink,#ffc0cb\n"
        "lime\n"  # a field too few
    )
    path = write(tmp_path, "name,hex\n" + body)
    with pytest.raises(ColourFileError, match=rf"{path}, line 4: expected 2 fields"):
        read_colour_csv(path)  # without the option, a bad row ends the reading
    message = (
        f"{path}: skipped 3 bad row(s), on line(s) 3, 4, 6; the first, line 3, column 'hex': "
        "expected a colour as #rrggbb (or rrggbb, #rgb, rgb) in hexadecimal digits, found "
        "'#00008'."
    )
    with pytest.warns(UserWarning) as record:
        names, rgb = read_colour_csv(path, skip_bad_rows=True)
    assert [str(warning.message) for warning in record] == [message]
    assert record[0].filename == __file__
    assert names == ["red", "pink"]
    np.testing.assert_allclose(rgb * 255, [[255, 0, 0], [255, 192, 203]])
    with pytest.warns(UserWarning, match="skipped 3 bad row"):
        colours = load_colours(path, skip_bad_rows=True)
    assert colours.skipped_lines == [3, 4, 6]
    assert colours.data["name"].tolist() == ["red", "pink"]
    assert "3 bad row(s) skipped" in colours.DESCR
    assert load_colours("css4").skipped_lines == []


def test_skipping_reads_the_kaggle_file_as_without_it(kaggle_csv):
    with pytest.warns(UserWarning, match="dropped 2 row"):
        plain = load_colours(kaggle_csv)
    with pytest.warns(UserWarning, match="dropped 2 row"):
        skipping = load_colours(kaggle_csv, skip_bad_rows=True)
    pd.testing.assert_frame_equal(plain.frame, skipping.frame)
    assert skipping.skipped_lines == []  # rows without a name are dropped, not bad


@pytest.mark.parametrize(
    "body, kept, skipped",
    [
        # One row of 0 to 255 among rows of 0 to 1: that row is skipped, not the others.
        ("a,0.5,0.25,1\nb,128,0,0\nc,0,0.2,0\n", [[0.5, 0.25, 1], [0, 0.2, 0]], "line 3, co"),
        # One fraction among integers from 0 to 255, and a value above 255.
        ("a,255,0,0\nb,127.5,0,0\nc,0,0,128\nd,0,300,0\n", [[1, 0, 0], [0, 0, 128 / 255]], "3, 5"),
        # Rows of 0 and 1 read either way: as 0 to 1, as without skipping.
        ("a,1,1,1\nb,0,x,0\nc,0,0,0\n", [[1, 1, 1], [0, 0, 0]], "line(s) 3;"),
    ],
)
def test_a_skipping_read_takes_the_scale_that_reads_more_rows(tmp_path, body, kept, skipped):
    path = write(tmp_path, "name,r,g,b\n" + body)
    with pytest.warns(UserWarning, match=re.escape(skipped)):
        _, rgb = read_colour_csv(path, skip_bad_rows=True)
    np.testing.assert_allclose(rgb, kept)


def test_the_first_lines_skipped_are_named_and_the_rest_counted(tmp_path):
    body = "".join(f"bad{i},#12345\n" for i in range(12)) + "good,#123456\n"
    path = write(tmp_path, "name,hex\n" + body)
    with pytest.warns(
        UserWarning,
        match=re.escape(
            "skipped 12 bad row(s), on line(s) 2, 3, 4, 5, 6, 7, 8, 9, "
            "10, 11, ...; the first, line 2,"
        ),
    ):
        names, _ = read_colour_csv(path, skip_bad_rows=True)
    assert names == ["good"]


def test_a_file_of_bad_rows_only_is_an_error_that_counts_them(tmp_path):
    path = write(tmp_path, "name,hex\nred,#ff00\nblue,#00f,x\n")
    with pytest.warns(UserWarning, match="skipped 2 bad row"):
        with pytest.raises(
            ColourFileError, match=re.escape(f"{path}: no colour rows after the header (2 bad")
        ):
            read_colour_csv(path, skip_bad_rows=True)


def test_a_row_the_csv_reader_refuses_is_an_error_or_skipped(tmp_path):
    huge = "x" * 200_000  # beyond the csv module's field limit
    path = write(tmp_path, f"name,hex\nred,#ff0000\n{huge},#000000\nblue,#0000ff\n")
    with pytest.raises(ColourFileError, match=rf"{path}, line 3: field larger than field limit"):
        read_colour_csv(path)
    with pytest.warns(UserWarning, match="skipped 1 bad row.*line 3: field larger"):
        names, _ = read_colour_csv(path, skip_bad_rows=True)
    assert names == ["red", "blue"]
