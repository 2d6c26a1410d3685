"""The read side of opportunity imports: the kit's job reader (`crm_kit.imports.queries`: one
job, a starter's jobs, an import's row results) and the signed links to the jobs' files."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from crm_kit.imports.downloads import DownloadLinks
from crm_kit.imports.queries import JobReader
from crm_kit.mongo import Document
from crm_sales.imports.model import OpportunityImportJob
from crm_sales.imports.store import CODEC, COLLECTIONS


class ImportJobQueries(JobReader[OpportunityImportJob]):
    def __init__(self, db: AsyncDatabase[Document], links: DownloadLinks) -> None:
        super().__init__(db, COLLECTIONS, CODEC)
        self.links = links
