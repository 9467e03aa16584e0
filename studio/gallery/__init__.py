"""The gallery page's views (views/gallery.py lays them out); the pure helpers are in nst.gallery."""
