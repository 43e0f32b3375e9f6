"""What the reference pages read besides the rules and the catalogue's own summaries."""
from sqlalchemy import select

from participation.extensions import db
from participation.models import CatalogueItem, Locality


def localities() -> list[Locality]:
    """Every locality, oldest first."""
    return list(db.session.scalars(select(Locality).order_by(Locality.id)))


def catalogue_item(code: str) -> CatalogueItem | None:
    """The catalogue item with this code, retired or not."""
    return db.session.scalar(select(CatalogueItem).where(CatalogueItem.code == code))
