import pytest

from bot.config import DATA_DIR
from bot.search import SearchIndex, Vocabulary
from bot.storage import Repository


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    import asyncio

    async def build():
        repo = await Repository.open(tmp_path_factory.mktemp("idx") / "s.db", seed_dir=DATA_DIR)
        catalogue = await repo.load_catalogue()
        await repo.close()
        return SearchIndex(catalogue.products, catalogue.localities, Vocabulary.load(DATA_DIR))

    return asyncio.run(build())
