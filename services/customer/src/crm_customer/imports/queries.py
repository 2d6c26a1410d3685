"""The read side of customer import and export jobs: the kit's job reader
(`crm_kit.imports.queries`: one job, a starter's jobs, an import's row results) over the
customer collections, and the signed links to the jobs' files (`links`)."""

from __future__ import annotations

from pymongo.asynchronous.database import AsyncDatabase

from crm_customer.imports.model import Job
from crm_customer.imports.store import CODEC, COLLECTIONS
from crm_kit.imports.downloads import DownloadLinks
from crm_kit.imports.queries import JobReader
from crm_kit.mongo import Document


class JobQueries(JobReader[Job]):
    def __init__(self, db: AsyncDatabase[Document], links: DownloadLinks) -> None:
        super().__init__(db, COLLECTIONS, CODEC)
        self.links = links
