"""Customer records, interaction history and the screen-pop payload."""
