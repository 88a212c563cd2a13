"""Typed parameters, needle parameters and regions of the running simulation.

Importing this module reads ``<prefix>/parameters.yml``, ``<prefix>/needle_parameters.yml``
(one YAML document per needle) and ``<prefix>/regions.yml`` (``prefix`` is set by
``gosmart.setup``, default ``input``), and exposes:

* ``P``: parameters, a dict with attribute access and typed values;
* ``NP``: ``{needle index (str): parameters of that needle}``;
* ``R``: ``{region key: Region}`` with ``R.group(name)``, ``R.zone(idx)``, ``R.surface(idx)``
  and ``R.meshed_as(kind)``;
* ``region_dict``: the raw regions mapping;
* ``update``: a ``StatusUpdater``, and ``update_available``, whether its socket answered.
"""

import os

import yaml

import gosmart
from gosmart.region import Region
from gosmart.status import StatusUpdater
from gosmart.utils import convert_parameter

__all__ = ["P", "NP", "R", "region_dict", "update", "update_available", "load",
           "ParameterDict", "AttributeDict", "RegionDict", "GoSmartParameterLoader"]


class MissingParameterError(KeyError, AttributeError):
    """A missing key: a KeyError for ``P["X"]`` and an AttributeError for ``hasattr(P, "X")``."""

    def __str__(self):
        return str(self.args[0]) if self.args else ""


class AttributeDict(dict):
    """A dict whose keys can also be read as attributes."""

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        try:
            return self[name]
        except KeyError as error:
            if isinstance(error, MissingParameterError):
                raise
            raise MissingParameterError(name)

    def __setattr__(self, name, value):
        self[name] = value


class ParameterDict(AttributeDict):
    """Parameters whose values are ``(type, value)`` pairs on the way in and typed values out.

    Setting ``P[k] = [type, "value"]`` (or a ``(value, type)``-free plain value) stores the
    converted value. With ``gosmart.setup(check_declared=True)`` reading a parameter that the
    model did not declare raises KeyError.
    """

    def __init__(self, *args, **kwargs):
        dict.__init__(self)
        self.update(*args, **kwargs)

    @staticmethod
    def _convert(value):
        if isinstance(value, (list, tuple)) and len(value) == 2 and (value[0] is None or isinstance(value[0], str)):
            typ, raw = value
            return convert_parameter(raw, typ)
        return value

    def __setitem__(self, key, value):
        dict.__setitem__(self, key, self._convert(value))

    def update(self, *args, **kwargs):
        for key, value in dict(*args, **kwargs).items():
            self[key] = value

    def __getitem__(self, key):
        if gosmart._check_declared and gosmart._declared is not None and key not in gosmart._declared:
            raise MissingParameterError(
                "You have asked for an undeclared parameter, [%s], please check your gosmart.setup(...) call." % key)
        try:
            return dict.__getitem__(self, key)
        except KeyError:
            raise MissingParameterError(key)

    def get(self, key, default=None):
        try:
            return self[key]
        except MissingParameterError:
            if gosmart._check_declared and gosmart._declared is not None and key not in gosmart._declared:
                raise
            return default


class RegionDict(AttributeDict):
    """Regions by key, with lookups by group, label and meshing kind."""

    def group(self, name):
        """Regions in CDM group ``name`` (sorted by key), or None when there are none."""
        found = [region for key, region in sorted(self.items()) if region.am(name)]
        return found or None

    def _by_label(self, kind, idx):
        for _, region in sorted(self.items()):
            if region.meshed_as == kind and region.idx == idx:
                return region
        return None

    def zone(self, idx):
        """The region meshed as a subdomain with label ``idx``, or None."""
        return self._by_label("zone", idx)

    def surface(self, idx):
        """The region meshed as a boundary with label ``idx``, or None."""
        return self._by_label("surface", idx)

    def meshed_as(self, kind):
        """Regions meshed as ``kind`` (``zone`` or ``surface``), sorted by key."""
        return [region for _, region in sorted(self.items()) if region.meshed_as == kind]


class GoSmartParameterLoader(object):
    """Reads the three YAML files under ``prefix``."""

    def __init__(self, prefix=None):
        self.prefix = gosmart._prefix if prefix is None else prefix

    def _path(self, name):
        return os.path.join(self.prefix, name)

    def _read(self, name, many=False):
        path = self._path(name)
        if not os.path.isfile(path):
            return [] if many else None
        try:
            with open(path) as f:
                if many:
                    return [doc for doc in yaml.safe_load_all(f) if doc is not None]
                return yaml.safe_load(f)
        except (OSError, yaml.YAMLError) as error:
            raise gosmart.GlossiaParameterLoadingError("Could not read %s: %s" % (path, error))

    def parameters(self):
        data = self._read("parameters.yml") or {}
        if not isinstance(data, dict):
            raise gosmart.GlossiaParameterLoadingError(
                "%s must map NAME to [type, value]" % self._path("parameters.yml"))
        return data

    def needle_parameters(self):
        needles = {}
        for number, doc in enumerate(self._read("needle_parameters.yml", many=True)):
            if not isinstance(doc, dict):
                raise gosmart.GlossiaParameterLoadingError(
                    "%s: document %d is not a mapping" % (self._path("needle_parameters.yml"), number + 1))
            index = str(doc.get("index", number))
            params = ParameterDict(doc.get("parameters") or {})
            dict.__setattr__(params, "needle_class", doc.get("class"))
            dict.__setattr__(params, "needle_input", doc.get("input"))
            needles[index] = params
        return needles

    def regions(self):
        data = self._read("regions.yml") or {}
        if not isinstance(data, dict):
            raise gosmart.GlossiaParameterLoadingError(
                "%s must map region keys to region entries" % self._path("regions.yml"))
        return merge_labelling(data, self._read("mesh_labelling.yml") if os.path.exists(self._path("mesh_labelling.yml")) else None)


def merge_labelling(regions, labelling):
    """Merge the mesher's ``mesh_labelling.yml`` into the regions, as the original's mesh_and_go did.

    Each labelled region gains ``id`` (its MSH physical tag), ``meshed_as`` and ``filename``;
    groups become ``["all", <key>, <groups>…]``. Regions the mesher added (``tissue``,
    ``needle-N``, ``<region> inactive``…) appear as new entries.
    """
    if not labelling:
        return regions
    if not isinstance(labelling, dict):
        raise gosmart.GlossiaParameterLoadingError("mesh_labelling.yml must map region keys to labels")
    merged = {key: dict(entry or {}) for key, entry in regions.items()}
    for key, label in labelling.items():
        entry = merged.setdefault(key, {})
        label = label or {}
        for field in ("id", "meshed_as"):
            if label.get(field) is not None:
                entry[field] = label[field]
        if label.get("filename"):
            entry["filename"] = "input/%s" % label["filename"] if "/" not in label["filename"] else label["filename"]
        groups = ["all", key]
        for group in list(entry.get("groups") or []) + list(label.get("groups") or []):
            if group not in groups:
                groups.append(group)
        entry["groups"] = groups
    return merged


P = ParameterDict()
NP = AttributeDict()
R = RegionDict()
region_dict = {}
update = StatusUpdater()
update_available = False


def load(prefix=None):
    """(Re)read the YAML files; ``P``, ``NP``, ``R`` and ``region_dict`` are updated in place."""
    loader = GoSmartParameterLoader(prefix)
    P.clear()
    P.update(loader.parameters())
    NP.clear()
    NP.update(loader.needle_parameters())
    raw_regions = loader.regions()
    region_dict.clear()
    region_dict.update(raw_regions)
    R.clear()
    for key, entry in raw_regions.items():
        R[key] = Region(key, entry)
    return P, NP, R


load()
update_available = update.connect()
