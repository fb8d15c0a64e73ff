"""The demo's geography: the front's towns, posts, sites and sectors, and its metric frame."""

from __future__ import annotations

from typing import Any

import numpy as np
import shapely
from pyproj import Geod, Transformer

from geo.crs import theatre_crs

GEOD = Geod(ellps="WGS84")


# The front, north to south then west along the Dnipro, through public gazetteer coordinates of towns
# and villages (rounded to 0.01 degree). Ukrainian-held territory lies to the right when walking it.
FRONT: tuple[tuple[str, float, float], ...] = (
    ("border north of Vovchansk", 36.93, 50.34),
    ("Vovchansk", 36.94, 50.29),
    ("Vovchanski Khutory", 37.05, 50.24),
    ("Starytsia", 37.25, 50.13),
    ("east of Velykyi Burluk", 37.52, 50.02),
    ("Dvorichna", 37.62, 49.90),
    ("Synkivka", 37.60, 49.79),
    ("Kupiansk", 37.615, 49.71),
    ("Kupiansk-Vuzlovyi", 37.70, 49.63),
    ("Pishchane", 37.78, 49.52),
    ("Kolisnykivka", 37.72, 49.43),
    ("Borova", 37.70, 49.37),
    ("Novoiehorivka", 37.85, 49.28),
    ("Makiivka", 38.02, 49.18),
    ("Kreminna", 38.12, 49.08),
    ("Torske", 38.02, 49.00),
    ("Serebrianka", 38.05, 48.93),
    ("Siversk", 38.10, 48.87),
    ("Vyimka", 38.14, 48.78),
    ("Soledar", 38.05, 48.68),
    ("Bakhmut", 37.93, 48.63),
    ("Chasiv Yar", 37.84, 48.59),
    ("Bila Hora", 37.85, 48.50),
    ("Toretsk", 37.85, 48.40),
    ("Shcherbynivka", 37.72, 48.35),
    ("Rusyn Yar", 37.50, 48.33),
    ("Rodynske", 37.35, 48.34),
    ("Myrnohrad", 37.27, 48.30),
    ("Pokrovsk", 37.18, 48.28),
    ("Selydove", 37.20, 48.13),
    ("Kurakhove", 37.22, 47.98),
    ("Kostiantynopil", 37.10, 47.88),
    ("Shevchenko", 36.95, 47.86),
    ("Velyka Novosilka", 36.83, 47.84),
    ("Staromaiorske", 36.65, 47.76),
    ("Zaliznychne", 36.45, 47.70),
    ("Huliaipole", 36.26, 47.66),
    ("Mala Tokmachka", 36.05, 47.58),
    ("Novopokrovka", 35.92, 47.52),
    ("Robotyne", 35.84, 47.45),
    ("Shcherbaky", 35.60, 47.50),
    ("Kamianske", 35.45, 47.53),
    ("Vasylivka", 35.30, 47.56),
    ("Kakhovka reservoir, north-east arm", 35.17, 47.60),
    ("Kakhovka reservoir off Dniprorudne", 35.05, 47.55),
    ("Kakhovka reservoir", 34.90, 47.50),
    ("Kakhovka reservoir off Enerhodar", 34.70, 47.55),
    ("Kakhovka reservoir off Nikopol", 34.45, 47.52),
    ("Kamianka-Dniprovska", 34.30, 47.45),
    ("Velyka Znamianka", 34.15, 47.35),
    ("Dnipro off Vodiane", 33.95, 47.22),
    ("Dnipro off Dudchany", 33.75, 47.08),
    ("Dnipro off Kozatske", 33.55, 46.92),
    ("Nova Kakhovka", 33.40, 46.80),
    ("Dnipro off Lvove", 33.25, 46.74),
    ("Dnipro off Tiahynka", 33.05, 46.72),
    ("Dnipro off Mykhailivka", 32.85, 46.68),
    ("Antonivskyi bridge", 32.72, 46.655),
    ("Kherson", 32.62, 46.615),
    ("Dnipro off Bilohrudyi island", 32.50, 46.58),
    ("Dnipro delta", 32.40, 46.55),
    ("Dnipro mouth", 32.28, 46.52),
)
# Beyond the line the control boundary runs to the theatre box: north into Russia, south-west through
# the Dnipro-Buh estuary and the Black Sea.
NORTH_EXTENSION: tuple[tuple[float, float], ...] = ((36.93, 52.5),)
SOUTH_EXTENSION: tuple[tuple[float, float], ...] = (
    (31.95, 46.55),
    (31.55, 46.56),
    (31.0, 45.6),
    (31.0, 43.5),
)
# Ukraine whole (22.1-40.2 E, 44.4-52.4 N) and Russia's ground east of it: the box only clips Russia.
THEATRE_BOX = (22.0, 44.0, 42.0, 52.45)
KYIV = (30.52, 50.45)
LINE_STEP_M = 3_000.0
VERSIONS = (("v1", "2026-01-01T00:00:00Z"), ("v2", "2026-10-15T00:00:00Z"))
# Version 2 moves the line towards Ukrainian-held ground between these towns, by at most SHIFT_M.
SHIFT_SECTOR = ("Selydove", "Velyka Novosilka")
SHIFT_M = 6_000.0
SECURITY_ZONE_HALF_WIDTH_M = 15_000.0

DISENGAGEMENT_AREAS = (("DA-1", "Siversk"), ("DA-2", "Toretsk"), ("DA-3", "Huliaipole"))
DISENGAGEMENT_SIZE_M = 4_000.0
# post_id, anchor (lon, lat), side, metres from the line, range_m
POSTS: tuple[tuple[str, str, float, float, str, float, float], ...] = (
    ("OP-01", "Kupiansk", 37.615, 49.71, "UA", 6_000, 12_000),
    ("OP-02", "Borova", 37.70, 49.37, "RU", 5_000, 10_000),
    ("OP-03", "Lyman", 37.80, 48.99, "UA", 7_000, 12_000),
    ("OP-04", "Kreminna", 38.22, 49.05, "RU", 6_000, 10_000),
    ("OP-05", "Siversk", 38.10, 48.87, "UA", 5_000, 10_000),
    ("OP-06", "Bakhmut", 38.00, 48.595, "RU", 5_000, 12_000),
    ("OP-07", "Kostiantynivka", 37.75, 48.55, "UA", 6_000, 12_000),
    ("OP-08", "Toretsk", 37.85, 48.40, "RU", 4_000, 8_000),
    ("OP-09", "Pokrovsk", 37.18, 48.28, "UA", 8_000, 15_000),
    ("OP-10", "Huliaipole", 36.26, 47.66, "UA", 6_000, 12_000),
    ("OP-11", "Orikhiv", 35.79, 47.57, "UA", 7_000, 12_000),
    ("OP-12", "Vasylivka", 35.28, 47.44, "RU", 8_000, 12_000),
    ("OP-13", "Nikopol", 34.40, 47.57, "UA", 5_000, 10_000),
    ("OP-14", "Enerhodar", 34.65, 47.50, "RU", 4_000, 10_000),
    ("OP-15", "Kherson", 32.62, 46.64, "UA", 4_000, 10_000),
    ("OP-16", "Oleshky", 32.70, 46.62, "RU", 6_000, 12_000),
)
# zone_id, name, (lon, lat) of the centre, width_m, height_m: approximate sites, not surveyed outlines.
PROTECTED_SITES = (
    ("PS-1", "Zaporizhzhia nuclear power plant, Enerhodar", 34.586, 47.512, 1_600, 1_000),
    ("PS-2", "Donetsk filtration station (water), near Yasynuvata", 37.859, 48.143, 600, 400),
    ("PS-3", "Hospital, Kostiantynivka (approximate)", 37.707, 48.528, 250, 200),
    ("PS-4", "Hospital, Orikhiv (approximate)", 35.785, 47.568, 250, 200),
    ("PS-5", "Hospital, Kherson (approximate)", 32.607, 46.652, 250, 200),
)
# Ranges where live fire is permitted (zone kind designated_range), well behind each side's lines:
# illustrative, not real ranges. Same columns as PROTECTED_SITES.
DESIGNATED_RANGES = (
    ("DR-1", "Training range near Pavlohrad (illustrative)", 35.90, 48.55, 4_000, 3_000),
    ("DR-2", "Training range near Amvrosiivka (illustrative)", 38.45, 47.74, 4_000, 3_000),
)


# name, first town, last town, relative activity per km
SECTORS = (
    ("Kupiansk", "Vovchansk", "Borova", 1.0),
    ("Lyman", "Borova", "Siversk", 1.0),
    ("Bakhmut", "Siversk", "Toretsk", 1.4),
    ("Pokrovsk", "Toretsk", "Kurakhove", 1.6),
    ("Velyka Novosilka", "Kurakhove", "Huliaipole", 0.8),
    ("Zaporizhzhia", "Huliaipole", "Vasylivka", 1.2),
    ("Dnipro", "Vasylivka", "Nova Kakhovka", 0.4),
    ("Kherson", "Nova Kakhovka", "Dnipro mouth", 0.9),
)


def round_geometry(geom: Any) -> Any:
    """Snap a geometry's coordinates to 1e-6 degrees, as the scenario files store them."""
    return shapely.set_precision(geom, 1e-6)


class Frame:
    """Projection to and from the theatre CRS of the demo, centred on the front."""

    def __init__(self) -> None:
        lon = np.array([p[1] for p in FRONT])
        lat = np.array([p[2] for p in FRONT])
        self.crs = theatre_crs(float(lon.min() + lon.max()) / 2, float(lat.min() + lat.max()) / 2)
        self.fwd = Transformer.from_crs(4326, self.crs, always_xy=True)
        self.inv = Transformer.from_crs(self.crs, 4326, always_xy=True)

    def to_xy(self, geom: Any) -> Any:
        return shapely.transform(geom, lambda c: np.column_stack(self.fwd.transform(c[:, 0], c[:, 1])))

    def to_lonlat(self, geom: Any) -> Any:
        return shapely.transform(geom, lambda c: np.column_stack(self.inv.transform(c[:, 0], c[:, 1])))
