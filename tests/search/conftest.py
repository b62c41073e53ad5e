import pytest

from bot.config import DATA_DIR
from bot.search import SearchIndex, Vocabulary
from bot.storage import Repository
from tests.conftest import seeded_db


@pytest.fixture(scope="module")
def index(tmp_path_factory, seeded_template):
    import asyncio

    async def build():
        repo = await Repository.open(seeded_db(tmp_path_factory.mktemp("idx") / "s.db"))
        catalogue = await repo.load_catalogue()
        await repo.close()
        return SearchIndex(catalogue.products, catalogue.localities, Vocabulary.load(DATA_DIR))

    return asyncio.run(build())
