"""A stored brand glossary as the pipeline's Glossary, for jobs that name one."""

from __future__ import annotations

from sqlalchemy.orm import Session

from polydub.domain.glossary import Glossary as DomainGlossary
from polydub.domain.glossary import GlossaryTerm
from polydub.errors import NotFoundError
from polydub.jobs.models import Glossary


def load_glossary(session: Session, owner_id: str, glossary_id: str) -> DomainGlossary:
    """The caller's glossary as the pipeline's Glossary.

    Raises:
        NotFoundError: param brand_glossary_id, when it does not exist or belongs to another
            key (another key's glossaries are as absent as missing ones).
    """
    row = session.get(Glossary, glossary_id)
    if row is None or row.owner_id != owner_id:
        raise NotFoundError("brand glossary not found", param="brand_glossary_id")
    return DomainGlossary(terms=tuple(GlossaryTerm(**term) for term in row.terms))
