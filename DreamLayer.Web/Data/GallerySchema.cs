namespace DreamLayer.Web.Data;

/// <summary>
/// What EF Core cannot express: the full-text index over prompts (SQLite FTS5, external content on
/// <c>Images</c>, row id = <see cref="ImageEntity.Seq"/>) and the triggers that keep it and <c>Seq</c> in step
/// with every insert, update and delete. Applied by the Gallery migration.
/// </summary>
public static class GallerySchema
{
    public const string FtsTable = "ImagesFts";

    public const string Up = """
        UPDATE Images SET
            OwnerId = (SELECT Owner FROM Jobs WHERE Jobs.Id = Images.JobId),
            OwnerName = (SELECT Owner FROM Jobs WHERE Jobs.Id = Images.JobId),
            Mode = (SELECT Mode FROM Jobs WHERE Jobs.Id = Images.JobId),
            Model = (SELECT Checkpoint FROM Jobs WHERE Jobs.Id = Images.JobId),
            Sampler = (SELECT Sampler FROM Jobs WHERE Jobs.Id = Images.JobId),
            Prompt = (SELECT Prompt FROM Jobs WHERE Jobs.Id = Images.JobId),
            NegativePrompt = (SELECT NegativePrompt FROM Jobs WHERE Jobs.Id = Images.JobId),
            Seq = rowid;

        CREATE VIRTUAL TABLE ImagesFts USING fts5(
            Prompt, NegativePrompt, content='Images', content_rowid='Seq', tokenize='unicode61 remove_diacritics 2');
        INSERT INTO ImagesFts(ImagesFts) VALUES ('rebuild');

        CREATE TRIGGER Images_AfterInsert AFTER INSERT ON Images BEGIN
            UPDATE Images SET Seq = (SELECT IFNULL(MAX(Seq), 0) + 1 FROM Images) WHERE rowid = new.rowid;
            INSERT INTO ImagesFts(rowid, Prompt, NegativePrompt)
                SELECT Seq, new.Prompt, new.NegativePrompt FROM Images WHERE rowid = new.rowid;
        END;

        CREATE TRIGGER Images_AfterDelete AFTER DELETE ON Images BEGIN
            INSERT INTO ImagesFts(ImagesFts, rowid, Prompt, NegativePrompt) VALUES ('delete', old.Seq, old.Prompt, old.NegativePrompt);
        END;

        CREATE TRIGGER Images_AfterUpdatePrompt AFTER UPDATE OF Prompt, NegativePrompt ON Images BEGIN
            INSERT INTO ImagesFts(ImagesFts, rowid, Prompt, NegativePrompt) VALUES ('delete', old.Seq, old.Prompt, old.NegativePrompt);
            INSERT INTO ImagesFts(rowid, Prompt, NegativePrompt) VALUES (new.Seq, new.Prompt, new.NegativePrompt);
        END;
        """;

    public const string Down = """
        DROP TRIGGER IF EXISTS Images_AfterUpdatePrompt;
        DROP TRIGGER IF EXISTS Images_AfterDelete;
        DROP TRIGGER IF EXISTS Images_AfterInsert;
        DROP TABLE IF EXISTS ImagesFts;
        """;
}
