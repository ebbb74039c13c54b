"""The xlwings adapter (desktop Excel, xlwings' remote engine) and its journal handling."""
