"""Mapping iPhone file-system paths to backup domains, and back.

An iTunes/Finder backup addresses every file as ``(domain, relativePath)``; a full
file-system extraction has real paths such as
``private/var/mobile/Containers/Data/Application/<UUID>/Documents/x``. reclaim turns
the latter into the former so that every consumer looks files up one way only.
The mapping (documented in ``docs/sources.md``) follows what iOS's backup agent does:

==============================================  =================================
file-system path (relative to ``/private/var``)  domain, relative path
==============================================  =================================
``mobile/Media/DCIM/…``, ``mobile/Media/PhotoData/…``  ``CameraRollDomain``, ``Media/…``
``mobile/Media/…``, ``mobile/Library/SMS/Attachments/…``  ``MediaDomain``, same path
``mobile/Library/Health/…``                      ``HealthDomain``, ``Health/…``
``mobile/Containers/Data/Application/<U>/…``     ``AppDomain-<bundle id>``, ``…``
``mobile/Containers/Shared/AppGroup/<U>/…``      ``AppDomainGroup-<group id>``, ``…``
``mobile/Containers/Data/PluginKitPlugin/<U>/…``  ``AppDomainPlugin-<id>``, ``…``
``containers/Data/System/<U>/…``                 ``SysContainerDomain-<id>``, ``…``
``containers/Shared/SystemGroup/<U>/…``          ``SysSharedContainerDomain-<id>``, ``…``
``mobile/…``                                     ``HomeDomain``, ``…``
``root/…``                                       ``RootDomain``, ``…``
``preferences/…``                                ``SystemPreferencesDomain``, ``…``
``wireless/…``                                   ``WirelessDomain``, ``…``
``Keychains/…``                                  ``KeychainDomain``, ``…``
``Managed Preferences/…``                        ``ManagedPreferencesDomain``, ``…``
``db/…``                                         ``DatabaseDomain``, ``…``
``MobileDevice/…``                               ``MobileDeviceDomain``, ``…``
``installd/…``                                   ``InstallDomain``, ``…``
``protected/…``                                  ``ProtectedDomain``, ``…``
``networkd/…``                                   ``NetworkDomain``, ``…``
anything else                                    ``FileSystemDomain``, full path
==============================================  =================================

A container's id comes from its ``.com.apple.mobile_container_manager.metadata.plist``
(``MCMMetadataIdentifier``). When that plist is missing (forensic tools often cut only
the files they need), a few well-known files identify the app (:data:`SIGNATURES`);
failing that the container keeps its UUID: ``AppDomain-<UUID>``.
"""

from __future__ import annotations

import fnmatch
import plistlib
import re
from collections.abc import Callable, Iterable

#: The container metadata file iOS keeps at the top of every app container.
CONTAINER_METADATA = ".com.apple.mobile_container_manager.metadata.plist"

#: Domain of paths outside every known root (kept, with their full path).
FILESYSTEM_DOMAIN = "FileSystemDomain"

#: (prefix under /private/var, domain, prefix of the relative path in the domain). First match wins.
_VAR_ROOTS: tuple[tuple[str, str, str], ...] = (
    ("mobile/Media/DCIM", "CameraRollDomain", "Media/DCIM"),
    ("mobile/Media/PhotoData", "CameraRollDomain", "Media/PhotoData"),
    ("mobile/Media", "MediaDomain", "Media"),
    ("mobile/Library/SMS/Attachments", "MediaDomain", "Library/SMS/Attachments"),
    ("mobile/Library/Health", "HealthDomain", "Health"),
    ("mobile", "HomeDomain", ""),
    ("root", "RootDomain", ""),
    ("preferences", "SystemPreferencesDomain", ""),
    ("wireless", "WirelessDomain", ""),
    ("Keychains", "KeychainDomain", ""),
    ("Managed Preferences", "ManagedPreferencesDomain", ""),
    ("db", "DatabaseDomain", ""),
    ("MobileDevice", "MobileDeviceDomain", ""),
    ("installd", "InstallDomain", ""),
    ("protected", "ProtectedDomain", ""),
    ("networkd", "NetworkDomain", ""),
)

#: (container folder under /private/var, domain prefix).
CONTAINER_ROOTS: tuple[tuple[str, str], ...] = (
    ("mobile/Containers/Data/Application", "AppDomain-"),
    ("mobile/Containers/Shared/AppGroup", "AppDomainGroup-"),
    ("mobile/Containers/Data/PluginKitPlugin", "AppDomainPlugin-"),
    ("containers/Data/System", "SysContainerDomain-"),
    ("containers/Shared/SystemGroup", "SysSharedContainerDomain-"),
)

#: Files that identify a container whose metadata plist is missing:
#: (container folder, glob of a path inside the container, container id).
SIGNATURES: tuple[tuple[str, str, str], ...] = (
    ("mobile/Containers/Shared/AppGroup", "NoteStore.sqlite", "group.com.apple.notes"),
    ("mobile/Containers/Shared/AppGroup", "ChatStorage.sqlite", "group.net.whatsapp.WhatsApp.shared"),
    ("mobile/Containers/Shared/AppGroup", "ContactsV2.sqlite", "group.net.whatsapp.WhatsApp.shared"),
    ("mobile/Containers/Shared/AppGroup", "CallHistory.sqlite", "group.net.whatsapp.WhatsApp.shared"),
    ("mobile/Containers/Shared/AppGroup", "Library/Application Support/WeChat*", "group.com.tencent.xin"),
    ("mobile/Containers/Data/Application", "Library/Caches/com.apple.mobilesafari*", "com.apple.mobilesafari"),
    ("mobile/Containers/Data/Application", "Library/Safari/*", "com.apple.mobilesafari"),
    ("mobile/Containers/Data/Application", "Documents/*/DB/MM.sqlite", "com.tencent.xin"),
    ("mobile/Containers/Data/Application", "Library/WechatPrivate*", "com.tencent.xin"),
    ("mobile/Containers/Data/Application", "Documents/MMappedKV*", "com.tencent.xin"),
    ("mobile/Containers/Data/Application", "Library/Caches/com.burbn.instagram*", "com.burbn.instagram"),
)

_UUID = re.compile(r"^[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}$")
_MOBILE_CHILDREN = {"Library", "Containers", "Media", "Documents"}


def split_var_root(path: str) -> tuple[str, str] | None:
    """Split an extraction's path into (part up to and incl. ``private/var``, rest under it).

    Recognises ``private/var/…`` anywhere in the path (``filesystem1/private/var/…``,
    ``/private/var/…``), a bare ``var/…`` and the layout where the data partition itself
    was dumped (``filesystem2/mobile/Library/…``). Returns ``None`` for other paths.
    """
    parts = [p for p in path.replace("\\", "/").split("/") if p not in ("", ".")]
    for i in range(len(parts) - 1):
        if parts[i] == "private" and parts[i + 1] == "var":
            return "/".join(parts[: i + 2]), "/".join(parts[i + 2 :])
    for i in range(len(parts) - 1):
        if parts[i] == "var" and i <= 1 and parts[i + 1] in {"mobile", "containers", "root", "Keychains"}:
            return "/".join(parts[: i + 1]), "/".join(parts[i + 1 :])
    for i in range(len(parts)):
        if parts[i] == "mobile" and i <= 2 and (i + 1 == len(parts) or parts[i + 1] in _MOBILE_CHILDREN):
            return "/".join(parts[:i]), "/".join(parts[i:])
    return None


def container_of(var_path: str) -> tuple[str, str, str, str] | None:
    """For a path under ``/private/var`` inside an app container: (container folder, UUID, prefix, rest).

    ``rest`` is the path inside the container ('' for the container folder itself).
    """
    for folder, prefix in CONTAINER_ROOTS:
        if var_path.startswith(folder + "/"):
            tail = var_path[len(folder) + 1 :]
            uuid, _, rest = tail.partition("/")
            if uuid:
                return folder, uuid, prefix, rest
    return None


def map_var_path(var_path: str, container_id: Callable[[str, str], str]) -> tuple[str, str]:
    """(domain, relative path) of a path relative to ``/private/var``.

    ``container_id(container_folder, uuid)`` names an app container (see
    :func:`container_identifier`); it is only called for paths inside containers.
    """
    var_path = var_path.strip("/")
    found = container_of(var_path)
    if found is not None:
        folder, uuid, prefix, rest = found
        return prefix + container_id(folder, uuid), rest
    for root, domain, rel_prefix in _VAR_ROOTS:
        if var_path == root or var_path.startswith(root + "/"):
            rest = var_path[len(root) + 1 :]
            rel = f"{rel_prefix}/{rest}" if rel_prefix and rest else (rel_prefix or rest)
            return domain, rel
    return FILESYSTEM_DOMAIN, "private/var/" + var_path if var_path else "private/var"


def is_container_folder(var_path: str) -> bool:
    """Whether a path is one of the folders that hold containers (or above one)."""
    var_path = var_path.strip("/")
    return any(folder == var_path or folder.startswith(var_path + "/") for folder, _ in CONTAINER_ROOTS)


def domain_to_var_paths(domain: str, rel: str, uuids_for: Callable[[str, str], Iterable[str]]) -> list[str]:
    """Candidate paths under ``/private/var`` for (domain, relative path), for :meth:`get` lookups.

    ``uuids_for(container_folder, container_id)`` lists the container UUIDs with that id.
    Callers must check the candidate maps back to the same (domain, path).
    """
    rel = rel.strip("/")
    out: list[str] = []
    for folder, prefix in CONTAINER_ROOTS:
        if domain.startswith(prefix) and not any(
            p != prefix and p.startswith(prefix) and domain.startswith(p) for _, p in CONTAINER_ROOTS
        ):
            for uuid in uuids_for(folder, domain[len(prefix) :]):
                out.append(f"{folder}/{uuid}/{rel}" if rel else f"{folder}/{uuid}")
            return out
    for root, dom, rel_prefix in _VAR_ROOTS:
        if dom != domain:
            continue
        if not rel_prefix:
            out.append(f"{root}/{rel}" if rel else root)
        elif rel == rel_prefix or rel.startswith(rel_prefix + "/"):
            out.append(root + rel[len(rel_prefix) :])
    if domain == FILESYSTEM_DOMAIN and rel.startswith("private/var/"):
        out.append(rel[len("private/var/") :])
    return out


def metadata_identifier(data: bytes) -> str | None:
    """``MCMMetadataIdentifier`` from a container metadata plist, or ``None`` if unreadable."""
    try:
        meta = plistlib.loads(data)
    except Exception:
        return None
    ident = meta.get("MCMMetadataIdentifier") if isinstance(meta, dict) else None
    return ident if isinstance(ident, str) and ident and "/" not in ident else None


def guess_identifier(folder: str, inner_paths: Iterable[str]) -> str | None:
    """Recognise a container without metadata from the files it holds (see :data:`SIGNATURES`)."""
    candidates = [(glob, ident) for f, glob, ident in SIGNATURES if f == folder]
    if not candidates:
        return None
    for inner in inner_paths:
        for glob, ident in candidates:
            if fnmatch.fnmatchcase(inner, glob):
                return ident
    return None


def looks_like_uuid(name: str) -> bool:
    """Whether a folder name is a container UUID."""
    return bool(_UUID.match(name))
