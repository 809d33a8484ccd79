# Deck parser and error helpers (src/input/deck.c, src/core/error.c).
agape_c_test(test_deck ${CMAKE_CURRENT_LIST_DIR}/test_deck.c unit)
