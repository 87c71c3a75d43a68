"""The structure page's small SVG map: contour and point inside the frame, a lone point in the middle."""

from portal.structures.small_map import HEIGHT, PADDING, WIDTH, small_map

SQUARE = {"type": "Polygon", "coordinates": [[[5.0, 45.0], [5.2, 45.0], [5.2, 45.1], [5.0, 45.1], [5.0, 45.0]]]}


def test_contour_and_point_fit_the_frame():
    drawn = small_map(SQUARE, lat=45.05, lon=5.1)
    assert len(drawn.paths) == 1 and drawn.point == (WIDTH / 2, HEIGHT / 2)
    coords = [tuple(map(float, p.strip("MLZ ").split(","))) for p in drawn.paths[0].split(" L")]
    assert all(
        PADDING - 0.1 <= x <= WIDTH - PADDING + 0.1 and PADDING - 0.1 <= y <= HEIGHT - PADDING + 0.1 for x, y in coords
    )
    assert min(y for _, y in coords) < drawn.point[1]  # north is up


def test_a_lone_point_is_centred_and_nothing_is_empty():
    assert small_map(None, lat=45.0, lon=5.0).point == (WIDTH / 2, HEIGHT / 2)
    assert not small_map("", lat=None, lon=None)
    feature = {"type": "Feature", "geometry": {"type": "MultiPolygon", "coordinates": [SQUARE["coordinates"]]}}
    assert len(small_map(feature, lat=None, lon=None).paths) == 1
