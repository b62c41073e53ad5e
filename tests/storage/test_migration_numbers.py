"""Migrations run by number, once: two files with one number would leave one never run."""

from bot.storage.migrations import migrations


def test_every_migration_has_its_own_number_in_order():
    numbers = [number for number, _ in migrations()]
    assert numbers == sorted(set(numbers)), numbers
    assert numbers[0] == 1
