"""write_projector: the files TensorBoard's Embedding Projector reads, read back here."""

import errno
import os

import numpy as np
import pandas as pd
import pytest
from google.protobuf import descriptor_pb2, descriptor_pool, message_factory, text_format
from PIL import Image
from sklearn.exceptions import NotFittedError
from sklearn.feature_extraction.text import CountVectorizer

import sk_colour_embed._projector
from sk_colour_embed import ItemVectors, PairSimilarityEmbedder, write_projector
from sk_colour_embed._readers import TokenReader

FILES = ["metadata.tsv", "projector_config.pbtxt", "sprite.png", "vectors.tsv"]


def projector_config_class():
    """TensorBoard's ``ProjectorConfig`` message, built from its projector_config.proto.

    TensorBoard is not a dependency; parsing with the message's own fields
    checks that the config is text the projector's ``text_format.Merge`` reads.
    """
    proto = descriptor_pb2.FieldDescriptorProto
    file = descriptor_pb2.FileDescriptorProto(
        name="projector_config.proto", package="tensorboard.projector", syntax="proto3"
    )

    def message(name, fields):
        described = file.message_type.add(name=name)
        for number, (field, kind, repeated) in enumerate(fields, start=1):
            label = proto.LABEL_REPEATED if repeated else proto.LABEL_OPTIONAL
            if isinstance(kind, str):
                described.field.add(
                    name=field, number=number, label=label, type=proto.TYPE_MESSAGE,
                    type_name=f".tensorboard.projector.{kind}",
                )  # fmt: skip
            else:
                described.field.add(name=field, number=number, label=label, type=kind)

    text, uint = proto.TYPE_STRING, proto.TYPE_UINT32
    message("SpriteMetadata", [("image_path", text, False), ("single_image_dim", uint, True)])
    message(
        "EmbeddingInfo",
        [
            ("tensor_name", text, False),
            ("metadata_path", text, False),
            ("bookmarks_path", text, False),
            ("tensor_shape", uint, True),
            ("sprite", "SpriteMetadata", False),
            ("tensor_path", text, False),
        ],
    )
    message(
        "ProjectorConfig",
        [
            ("model_checkpoint_path", text, False),
            ("embeddings", "EmbeddingInfo", True),
            ("model_checkpoint_dir", text, False),
        ],
    )
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(
        pool.FindMessageTypeByName("tensorboard.projector.ProjectorConfig")
    )


def read_config(folder):
    return text_format.Parse(
        (folder / "projector_config.pbtxt").read_text(), projector_config_class()()
    )


def read_lines(path):
    text = path.read_text(encoding="utf-8")
    assert text.endswith("\n") and "\r" not in text
    return text[:-1].split("\n")


def read_vectors(path):
    # The projector's Python reader: float() of every tab-separated field, no header.
    return np.array([[float(field) for field in line.split("\t")] for line in read_lines(path)])


def small_vectors(keys, n_components=2):
    vectors = np.random.default_rng(0).normal(size=(len(keys), n_components))
    return ItemVectors(keys, vectors, distance_scale=1.0, similarity_bias=0.0)


def test_a_fitted_embedder_gives_files_the_projector_reads(fitted_css4, tmp_path):
    items = fitted_css4.items_
    paths = write_projector(fitted_css4, tmp_path / "run", colours=items.descriptors)
    folder = tmp_path / "run"
    assert sorted(path.name for path in paths) == sorted(p.name for p in folder.iterdir()) == FILES

    vectors = read_vectors(folder / "vectors.tsv")  # every row all numbers: no header
    assert vectors.shape == (148, 2)
    np.testing.assert_allclose(vectors, fitted_css4.embedding_.to_numpy(), rtol=1e-8)

    metadata = [line.split("\t") for line in read_lines(folder / "metadata.tsv")]
    assert metadata[0] == ["name", "colour"]  # several columns: a header row
    rows = dict(metadata[1:])
    assert list(rows) == list(items.keys) and len(metadata) - 1 == len(vectors)
    assert (rows["red"], rows["navy"], rows["white"], rows["cornflowerblue"]) == (
        "#ff0000",
        "#000080",
        "#ffffff",
        "#6495ed",
    )

    config = read_config(folder)
    (embedding,) = config.embeddings
    for name in (embedding.tensor_path, embedding.metadata_path, embedding.sprite.image_path):
        assert (folder / name).is_file()  # relative to the config's folder, as TensorBoard reads
    assert list(embedding.tensor_shape) == [148, 2]
    assert list(embedding.sprite.single_image_dim) == [16, 16]

    sprite = Image.open(folder / "sprite.png")
    assert sprite.format == "PNG" and sprite.size == (13 * 16, 12 * 16)  # 13 columns for 148
    assert max(sprite.size) <= 8192
    # The projector takes swatch i at row i // n_columns, column i % n_columns.
    n_columns = sprite.size[0] // 16
    pixels = np.asarray(sprite.convert("RGB"))
    for name, colour in [("red", (255, 0, 0)), ("navy", (0, 0, 128)), ("gold", (255, 215, 0))]:
        row, column = divmod(list(items.keys).index(name), n_columns)
        swatch = pixels[row * 16 : (row + 1) * 16, column * 16 : (column + 1) * 16]
        assert (swatch == colour).all(), name


def test_without_colours_the_metadata_is_one_column_without_a_header(tmp_path):
    vectors = small_vectors(pd.Index(["red", "navy", 7]), n_components=3)
    paths = write_projector(vectors, tmp_path)
    assert [path.name for path in paths] == [
        "metadata.tsv",
        "vectors.tsv",
        "projector_config.pbtxt",
    ]
    assert read_lines(tmp_path / "metadata.tsv") == ["red", "navy", "7"]
    np.testing.assert_allclose(read_vectors(tmp_path / "vectors.tsv"), vectors.vectors, rtol=1e-8)
    (embedding,) = read_config(tmp_path).embeddings
    assert not embedding.HasField("sprite") and not (tmp_path / "sprite.png").exists()
    assert embedding.metadata_path == "metadata.tsv"


def test_several_key_columns_are_several_metadata_columns_with_a_header(tmp_path):
    keys = pd.MultiIndex.from_tuples([("red", 1), ("red", 2), ("blue", 1)], names=["name", None])
    write_projector(small_vectors(keys), tmp_path)
    assert read_lines(tmp_path / "metadata.tsv") == ["name\tkey1", "red\t1", "red\t2", "blue\t1"]


def test_names_without_a_vector_are_left_out_of_every_file_with_a_warning(tmp_path):
    names = np.array(["red", "dark red", "!!!", "blue"], dtype=object)
    tokens = TokenReader.from_names(CountVectorizer(), names)
    token_vectors = np.random.default_rng(0).normal(size=(len(tokens), 2))
    vectors = ItemVectors(
        pd.Index(names), token_vectors, distance_scale=1.0, similarity_bias=0.0, reader=tokens
    )
    assert np.isnan(vectors.vectors[2]).all() and np.isfinite(vectors.vectors[[0, 1, 3]]).all()
    colours = [[1, 0, 0], [0.5, 0, 0], [0, 0, 0], [0, 0, 1]]
    with pytest.warns(UserWarning, match=r"leave out 1 item\(s\) that have no vector .*: '!!!'"):
        write_projector(vectors, tmp_path, colours=colours)
    rows = read_lines(tmp_path / "metadata.tsv")[1:]
    assert rows == ["red\t#ff0000", "dark red\t#800000", "blue\t#0000ff"]
    np.testing.assert_allclose(read_vectors(tmp_path / "vectors.tsv"), vectors.vectors[[0, 1, 3]])
    assert list(read_config(tmp_path).embeddings[0].tensor_shape) == [3, 2]
    # Two columns of swatches, and the cell past the last item is left white.
    pixels = np.asarray(Image.open(tmp_path / "sprite.png").convert("RGB"))
    assert pixels.shape == (32, 32, 3)
    assert (pixels[16:, :16] == (0, 0, 255)).all() and (pixels[16:, 16:] == 255).all()


def test_keys_a_tsv_field_cannot_hold_are_made_safe_with_a_warning(tmp_path):
    vectors = small_vectors(pd.Index(["tab\there", "two\nlines", "", "plain"]))
    with pytest.warns(UserWarning, match=r"3 key\(s\) hold a tab or line break, or are blank"):
        write_projector(vectors, tmp_path)
    # Still one row per vector: no extra field, no extra or skipped (blank) line.
    assert read_lines(tmp_path / "metadata.tsv") == ["tab here", "two lines", "''", "plain"]


def test_too_many_items_for_the_sprite_is_a_clear_error_and_writes_nothing(tmp_path):
    vectors = small_vectors(pd.Index([f"c{i}" for i in range(100)]))
    colours = np.full((100, 3), 0.5)
    message = r"10000x10000 pixels, above .* limit of 8192x8192: use swatch_size=819 or less"
    with pytest.raises(ValueError, match=message):
        write_projector(vectors, tmp_path / "run", colours=colours, swatch_size=1000)
    assert not (tmp_path / "run").exists()
    write_projector(vectors, tmp_path / "run", colours=colours, swatch_size=819)
    assert Image.open(tmp_path / "run" / "sprite.png").size == (8190, 8190)


@pytest.mark.parametrize(
    "change, error, message",
    [
        (dict(colours=np.ones((2, 3))), ValueError, r"each of the 3 items.*got shape \(2, 3\)"),
        (dict(colours=[[0, 0, 0], [0, 2, 0], [0, 0, 0]]), ValueError, r"row 1 holds \[0.0, 2.0"),
        (dict(colours=[[0, 0, 0], [0, np.nan, 0], [0, 0, 0]]), ValueError, "row 1 holds"),
        (dict(swatch_size=0), ValueError, "swatch_size must be a positive integer"),
        (dict(vectors=small_vectors(pd.Index(list("abc")), 1)), ValueError, "at least 2"),
        (dict(vectors=np.zeros((3, 2))), TypeError, "an ItemVectors or a fitted"),
        (dict(vectors=PairSimilarityEmbedder()), NotFittedError, "not fitted"),
    ],
)
def test_bad_input_is_named(tmp_path, change, error, message):
    arguments = dict(vectors=small_vectors(pd.Index(list("abc"))), colours=np.zeros((3, 3)))
    with pytest.raises(error, match=message):
        write_projector(directory=tmp_path / "run", **{**arguments, **change})
    assert not (tmp_path / "run").exists()


def test_a_file_in_place_of_the_folder_is_an_error(tmp_path):
    (tmp_path / "run").write_text("x")
    with pytest.raises(NotADirectoryError, match="is a file, not a folder"):
        write_projector(small_vectors(pd.Index(list("abc"))), tmp_path / "run")


def test_the_files_appear_whole_or_not_at_all(tmp_path, monkeypatch):
    colours = np.zeros((3, 3))
    write_projector(small_vectors(pd.Index(list("abc"))), tmp_path, colours=colours)
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}

    def fail(*args, **kwargs):
        raise OSError("disk full")

    # The names and vectors are written before the sprite fails.
    monkeypatch.setattr(sk_colour_embed._projector, "_write_sprite", fail)
    with pytest.raises(OSError, match="disk full"):
        write_projector(small_vectors(pd.Index(list("xyz")), 4), tmp_path, colours=colours)
    after = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    assert after == before  # no new file, no temporary file left behind


def write_start_then_fail(fault):
    def write(path, *args, **kwargs):
        with open(path, "wb") as file:
            file.write(b"the start of a file")
        raise fault

    return write


def test_a_full_disk_names_the_file_meant_and_leaves_the_folder_as_it_was(tmp_path, monkeypatch):
    colours = np.zeros((3, 3))
    write_projector(small_vectors(pd.Index(list("abc"))), tmp_path, colours=colours)
    before = {path.name: path.read_bytes() for path in tmp_path.iterdir()}
    full = OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    monkeypatch.setattr(np, "savetxt", write_start_then_fail(full))
    with pytest.raises(OSError) as error:
        write_projector(small_vectors(pd.Index(list("xyz"))), tmp_path, colours=colours)
    # The file it was writing, by the name it would have had, not a temporary one.
    assert error.value.errno == errno.ENOSPC
    assert error.value.filename == str(tmp_path / "vectors.tsv")
    assert str(error.value) == f"[Errno 28] No space left on device: '{tmp_path / 'vectors.tsv'}'"
    assert {path.name: path.read_bytes() for path in tmp_path.iterdir()} == before


def test_a_folder_that_cannot_be_written_is_a_permission_error_naming_the_file(
    tmp_path, monkeypatch
):
    import tempfile

    def refuse(*args, dir=None, prefix="", **kwargs):
        # As the operating system refuses (tests run as root, whom chmod does not stop).
        denied = os.path.join(dir, f"{prefix}abc")
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), denied)

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(PermissionError) as error:
        write_projector(small_vectors(pd.Index(list("abc"))), tmp_path)
    assert error.value.filename == str(tmp_path / "metadata.tsv")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("fault", [KeyboardInterrupt, MemoryError])
def test_an_interrupted_or_failed_write_leaves_no_temporary_file(tmp_path, monkeypatch, fault):
    monkeypatch.setattr(sk_colour_embed._projector, "_write_sprite", write_start_then_fail(fault()))
    with pytest.raises(fault):
        write_projector(small_vectors(pd.Index(list("abc"))), tmp_path, colours=np.zeros((3, 3)))
    assert list(tmp_path.iterdir()) == []
