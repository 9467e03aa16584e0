"""The gallery page's views (pages/1_Gallery.py lays them out); the pure helpers are in nst.gallery."""
