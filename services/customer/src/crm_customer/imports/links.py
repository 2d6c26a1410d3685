"""The customer service's download links: `/files/customer/<token>`, relative to the gateway's
origin, which forwards it to this service's `/files/<token>` (`imports.routes`). The links
themselves are the kit's (`crm_kit.imports.downloads.DownloadLinks`); this service serves
every kind of file: the import template, an import's error report, an export."""

from __future__ import annotations

from crm_kit.file_links import FileLinkSigner
from crm_kit.imports.downloads import DownloadLinks

SERVICE = "customer"  # the subgraph's name at the gateway: the second segment of the path


def download_links(signer: FileLinkSigner) -> DownloadLinks:
    return DownloadLinks(signer, SERVICE)
