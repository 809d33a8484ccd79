# Deck parser and error helpers (src/deck.c, src/error.c).
agape_c_test(test_deck ${CMAKE_CURRENT_LIST_DIR}/test_deck.c unit)
