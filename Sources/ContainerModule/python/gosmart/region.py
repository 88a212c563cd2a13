"""Regions of the simulation domain, as seen by a model."""

__all__ = ["Region"]


class Region(object):
    """One entry of ``regions.yml``.

    Attributes: ``key``, ``idx`` (the integer mesh label, or None before meshing), ``groups``,
    ``filename`` (``filename`` entry, or ``input/<input>``), ``meshed_as`` (``zone``/``surface``),
    ``format`` and ``meaning``.
    """

    def __init__(self, key, region_dict):
        region_dict = region_dict or {}
        self.key = key
        self.idx = region_dict.get("id")
        groups = region_dict.get("groups") or []
        if isinstance(groups, str):
            groups = [groups]
        self.groups = list(groups)
        if region_dict.get("filename") is not None:
            self.filename = region_dict["filename"]
        elif region_dict.get("input") is not None:
            self.filename = "input/%s" % region_dict["input"]
        else:
            self.filename = None
        self.meshed_as = region_dict.get("meshed_as")
        self.format = region_dict.get("format")
        self.meaning = region_dict.get("meaning")
        self.raw = dict(region_dict)

    def am(self, group):
        """Is this region in CDM group ``group``?"""
        return group in self.groups

    def __repr__(self):
        return "Region(%r, idx=%r, groups=%r, meshed_as=%r)" % (self.key, self.idx, self.groups, self.meshed_as)
