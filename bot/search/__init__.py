from bot.search.engine import Hit, SearchIndex, SearchResult, Vocabulary, fuzzy_budget

__all__ = ["Hit", "SearchIndex", "SearchResult", "Vocabulary", "fuzzy_budget"]
