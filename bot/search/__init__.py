from bot.search.engine import Hit, SearchIndex, SearchResult, Vocabulary

__all__ = ["Hit", "SearchIndex", "SearchResult", "Vocabulary"]
